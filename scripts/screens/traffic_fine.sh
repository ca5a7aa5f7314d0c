# Traffic fines (issue 15 §1), sourced by scripts/screenshots (shot, tap, panel, card,
# $out, $data). Starts and ends on the attract screen. 张伟 (sample card 0) drives 京A12345
# with two unpaid fines, one overdue; the demo panel's phone pays. Every page in Chinese,
# then in English; the printed receipt as PNG.
# The tile: the menu's 8th (4 tiles a row: the last of the second row).
# phone N: the demo panel's simulated phone on the newest open order: 0 pays, 1 refused,
# 2 runs out of time.
fines_phone() { phone "$1"; }   # the panel's phone (scripts/screenshots)
# fines_key COL ROW: a key of the plate keypad (10 columns of letters and digits; the
# provinces have 8).
fines_key() { tap $((134 + 184 * $1)) $((520 + 92 * $2)); sleep 0.15; }
# fines_digit D: a digit on the decision-number keypad.
fines_digit() { local d=$1
  if [ "$d" = 0 ]; then tap 950 786; else
    tap $((711 + 243 * ((d - 1) % 3))) $((438 + 116 * ((d - 1) / 3))); fi; sleep 0.12; }
fines_open() {                                          # $1: "" Chinese, "-en" English
  card "$2"
  if [ -n "$1" ]; then tap 1779 55; sleep 0.5; fi      # the language toggle on the menu
  tile 7; sleep 1.2
}
fines_walk() {
  local en=$1
  fines_open "$en" 0; shot "70-fines-choose$en" 0.3
  tap 617 527; shot "71-fines-plate$en" 0.8             # by plate: the provinces first
  tap 157 520; fines_key 0 1; fines_key 0 0             # 京 A 1
  shot "72-fines-plate-keys$en" 0.4
  tap 1722 353; shot "73-fines-plate-error$en" 0.4      # search too early: why not
  for c in 1 2 3 4; do fines_key "$c" 0; done           # 2 3 4 5
  tap 1722 353; shot "74-fines-list$en" 1.5
  tap 1746 328; sleep 1.5                               # pay the first, then cancel it
  tap 1101 793; shot "75-fines-cancelled$en" 1.5
  # Pay the overdue one (in the English walk it is paid already: the other one then).
  if [ -n "$en" ]; then tap 1746 432; else tap 1746 684; fi
  shot "76-fines-qr$en" 1.5
  fines_phone 0; shot "77-fines-paid$en" 2.5
  finish
  fines_open "$en" 0
  tap 1301 527                                          # by decision number
  for d in 1 1 0 1 0 5 1 2 3 4 5 6 7 0 0; do fines_digit "$d"; done
  shot "78-fines-decision$en" 0.4
  fines_digit 2; tap 1722 261; shot "78-fines-paid-already$en" 1.5   # search
  finish
  fines_open "$en" 3                                    # 赵秀英: no car, no fine
  tap 617 527; tap 157 520; fines_key 1 1
  for c in 8 8 8 8 8; do fines_key "$c" 0; done         # 京B99999
  tap 1722 353; shot "79-fines-none$en" 1.5
  finish
}
fines_walk ""
receipt=$(ls -t "$data"/printer/receipt-*.png | head -1)
cp "$receipt" "$out/79-fines-receipt.png"; echo "$out/79-fines-receipt.png"
fines_walk "-en"
