# Hall staff and the PIN gate (sourced by scripts/screenshots; docs/operations.md): F3, the
# demo staff badge 1001 and PIN 246810, the staff screen with one outbox row marked as refused
# by the platform (sqlite3, when installed), its "today" and audit-log tabs, out of service and
# back; the same in English. Shots S1-…; starts
# and ends on the attract screen. Coordinates are for the 1920x1080 layout.
s_exit() { tap 1749 54; sleep 0.5; }     # "Exit" on the staff screen
s_tab() { case $1 in failed) tap 868 173;; today) tap 1126 173;; audit) tap 1320 173;; esac; sleep 0.8; }
s_service() { tap 1671 477; sleep 0.5; } # take out of / back into service
if command -v sqlite3 >/dev/null; then
  sqlite3 "$data/kiosk.sqlite" "PRAGMA busy_timeout=5000; UPDATE outbox SET state='failed',
    last_error='400 bad_request: area A is closed today' WHERE id=(SELECT min(id) FROM outbox);" >/dev/null
fi
s_sign_in 1001 246810 S1-pin; shot S2-staff
s_tab today; shot S3-staff-today
s_tab audit; shot S4-staff-audit
s_tab failed; s_service; s_exit; shot S5-attract-out-of-service
s_sign_in 1001 246810; s_service; s_exit          # back in service

# English.
english
s_sign_in 1001 246810 S1-pin-en; shot S2-staff-en
s_tab today; shot S3-staff-today-en
s_tab audit; shot S4-staff-audit-en
s_exit
english
sleep 11                                                  # the notice clears
