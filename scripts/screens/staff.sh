# Hall staff and the PIN gate (sourced by scripts/screenshots; docs/operations.md): F3, the
# demo staff badge 1001 and PIN 246810, the staff screen with one outbox row marked as refused
# by the platform (sqlite3, when installed), its "today" and audit-log tabs, out of service and
# back, then the technician badge 9001 (PIN 135790); the same in English. Shots S1-…; starts
# and ends on the attract screen. Coordinates are for the 1920x1080 layout.
# sdig D: a digit on the staff PIN pad (badge and PIN).
sdig() { case $1 in
  1) tap 724 448;; 2) tap 949 448;; 3) tap 1184 448;; 4) tap 724 564;; 5) tap 949 564;;
  6) tap 1184 564;; 7) tap 724 680;; 8) tap 949 680;; 9) tap 1184 680;; 0) tap 949 798;;
  esac; sleep 0.15; }
s_ok() { tap 1135 928; sleep 0.4; }      # "Next" on the badge, "Sign in" on the PIN
s_exit() { tap 1749 54; sleep 0.5; }     # "Exit" on the staff screen
s_tab() { case $1 in failed) tap 868 173;; today) tap 1126 173;; audit) tap 1320 173;; esac; sleep 0.8; }
s_service() { tap 1671 477; sleep 0.5; } # take out of / back into service
# s_sign_in BADGE PIN [SHOT]: the pad from the attract screen; SHOT is taken with the badge
# typed and with the PIN typed (dots).
s_sign_in() {
  xdotool windowfocus --sync "$win"; xdotool key F3; sleep 0.4
  for d in $(echo "$1" | grep -o .); do sdig "$d"; done
  [ -n "${3:-}" ] && shot "$3-badge"
  s_ok
  for d in $(echo "$2" | grep -o .); do sdig "$d"; done
  [ -n "${3:-}" ] && shot "$3"
  s_ok; sleep 1.2
}
if command -v sqlite3 >/dev/null; then
  sqlite3 "$data/kiosk.sqlite" "PRAGMA busy_timeout=5000; UPDATE outbox SET state='failed',
    last_error='400 bad_request: area A is closed today' WHERE id=(SELECT min(id) FROM outbox);" >/dev/null
fi
s_sign_in 1001 246810 S1-pin; shot S2-staff
s_tab today; shot S3-staff-today
s_tab audit; shot S4-staff-audit
s_tab failed; s_service; s_exit; shot S5-attract-out-of-service
s_sign_in 1001 246810; s_service; s_exit          # back in service
s_sign_in 9001 135790; shot S6-technician; s_exit

# English.
english
s_sign_in 1001 246810 S1-pin-en; shot S2-staff-en
s_tab today; shot S3-staff-today-en
s_tab audit; shot S4-staff-audit-en
s_exit
s_sign_in 9001 135790; shot S6-technician-en; s_exit
english
sleep 11                                                  # the notice clears
