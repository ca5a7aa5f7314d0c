# Applying for a matter (issue 14 §2), sourced by scripts/screenshots: starts and ends on the
# attract screen with a card on the demo's glass. Chinese, then English.
# Coordinates are where tests/e2e/apply.rs's taps land on the 1920x1080 window (run it with
# RIG_TAPS=1 and --nocapture to print them after a layout change).
# Shots: A0 the matters, A1 老人卡申办 refused for a citizen too young, A2 居住证签注's
# instructions, A3 the card's front scanned, A4 the form filled from the card, A5 the mobile
# number, A6 a choice, A7 a short text, A8 a material's pages, A9 a material brought to the
# window, A10 the delivery, A11 the district, A12 the street by its initials, A13 a letter
# that leads nowhere, A14 the house number, A15 the address to check, A16 the whole
# application to check, A17 done, A18 the printed acceptance receipt.
ap() { tap "$1" "$2"; sleep "${3:-0.4}"; }
ap_receipt() { local f; f=$(ls -t "$data"/printer/receipt-*.png | head -1); cp "$f" "$out/$1.png"; echo "$out/$1.png"; }
apply_walk() {  # $1: "" or "-en"; the session is already in its language
  # The English street page's title takes two lines: its list starts lower.
  local street_y=361; [ -n "$1" ] && street_y=411
  tile 9; sleep 1; shot "A0-apply-matters$1"
  ap 960 404; shot "A1-apply-not-eligible$1"
  ap 210 1005                     # back: the menu
  tile 9; sleep 1
  ap 960 586; shot "A2-apply-instructions$1"
  ap 270 711                      # start: the card's front on the glass
  ap 296 437 2.2; shot "A3-apply-card-front$1"
  ap 815 437; ap 296 437 2.2      # the back
  ap 815 437; shot "A4-apply-form$1"
  ap 260 641                      # the mobile number
  for k in "635 252" "1015 252" "820 610" "820 789" "820 789" "635 252" "1015 252" \
    "820 610" "820 789" "820 789" "820 789"; do ap $k 0.1; done   # 13800138000
  shot "A5-apply-mobile$1"
  ap 270 529; shot "A6-apply-choice$1"
  ap 870 230                      # 租赁
  ap 270 381
  for k in "1015 227" "830 781" "820 227" "820 619" "635 227"; do ap $k 0.1; done   # 3-201
  shot "A7-apply-text$1"
  ap 270 529                      # the permit's pages: a page on the glass
  glass
  ap 230 749 2.2; ap 230 749 2.2; shot "A8-apply-material-pages$1"
  ap 123 620 2.2; ap 602 620      # page 1 retaken, page 2 deleted
  ap 588 749                      # the tenancy agreement
  ap 668 749; shot "A9-apply-material-at-window$1"
  ap 1076 749; shot "A10-apply-delivery$1"
  ap 960 624; shot "A11-apply-district$1"
  ap 1568 310                     # 朝阳区
  ap 1086 286 0.2; ap 1650 192; shot "A12-apply-street$1"   # J G
  ap 1556 380; shot "A13-apply-street-refused$1"          # X leads nowhere
  ap 1274 286 0.2; ap 522 "$street_y"     # L, 建国路
  for k in "820 488" "820 488" "601 781" "820 227" "716 781" "1015 227" "820 619" \
    "635 227" "944 781"; do ap $k 0.1; done   # 88号2号楼301室
  shot "A14-apply-number$1"
  ap 270 679; shot "A15-apply-address-check$1"
  ap 270 600; shot "A16-apply-check$1"
  ap 1086 435; shot "A17-apply-done$1" 3
  ap_receipt "A18-apply-receipt$1"
  # Finish: the page is still on the glass, then the card on the reader; the glass gets its
  # card back for the next walk (empty, lid open, a card).
  tap 1680 1005; sleep 0.6; glass; sleep 1; uncard; glass; glass
}

sleep 6
card 0; apply_walk ""
card 0; english; apply_walk "-en"
