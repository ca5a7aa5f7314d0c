# Hall staff (sourced by scripts/screenshots; docs/operations.md): F3, the demo PIN 246810 on
# the pad, the staff screen with one outbox row marked as refused by the platform (sqlite3,
# when installed), out of service and back. Starts and ends on the attract screen.
if command -v sqlite3 >/dev/null; then
  sqlite3 "$data/kiosk.sqlite" "PRAGMA busy_timeout=5000; UPDATE outbox SET state='failed',
    last_error='400 bad_request: area A is closed today' WHERE id=(SELECT min(id) FROM outbox);" >/dev/null
fi
xdotool windowfocus --sync "$win"; xdotool key F3; sleep 0.4
for d in 2 4 6; do staffdigit $d; done; shot pin
for d in 8 1 0; do staffdigit $d; done; tap 1135 915; shot staff 1.5
tap 1661 617; sleep 0.5; tap 1749 54; shot attract-out-of-service
xdotool key F3; sleep 0.4; for d in 2 4 6 8 1 0; do staffdigit $d; done; tap 1135 915; sleep 1
tap 1661 617; sleep 0.5; tap 1749 54                     # back in service
sleep 11                                                  # the notice clears
