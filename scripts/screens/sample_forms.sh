# The sample forms (issue 14 §1), sourced by scripts/screenshots: starts and ends on the
# attract screen. Chinese, then English. Shots F0-F7: F0 the library, F1 typed initials with
# the candidate row, F2 the viewer (sample), F3 zoomed to 200 %, F4 the blank page, F5 a
# refused key, F6 printed, F7 the printed PDF's first page.
# Coordinates are where tests/e2e/sample_forms.rs's taps land on the 1920x1080 window (run
# it with RIG_TAPS=1 and --nocapture to print them after a layout change); the tile is the
# menu's ninth (tile 8).
forms_tile() { tile 8; sleep 1.2; }               # ninth tile: first of the third row
forms_dept() { tap $((202 + 108 * $1)) 162; }      # department chip N (0 公安)
forms_key() {                                      # a letter key of the pinyin keyboard
  local i; i=$(printf '%d' "'$1"); i=$((i - 65))
  if [ $i -lt 9 ]; then tap $((1078 + 94 * i)) 528
  elif [ $i -lt 18 ]; then tap $((1078 + 94 * (i - 9))) 622
  else tap $((1078 + 94 * (i - 18))) 716; fi; sleep 0.2; }
forms_cand() { tap $((1074 + 84 * $1)) 432; sleep 0.2; }  # candidate N
forms_row() { tap 400 $((390 + 96 * $1)); sleep 2; }      # result row N
forms_zoom_in() { tap 1775 364; sleep 0.3; }
forms_blank() { tap 1750 268; sleep 1.5; }
forms_print_sample() { tap 1743 803; }
forms_back() { tap 210 1005; sleep 0.5; }                 # the footer's back

sleep 10
card 0; forms_tile; shot F0-forms-library 1
forms_dept 0; forms_key J; shot F1-forms-search
forms_cand 1; forms_key Z; forms_key Z; forms_row 1; shot F2-forms-page 1
forms_zoom_in; forms_zoom_in; shot F3-forms-zoom
forms_blank; shot F4-forms-blank
forms_back; forms_key Q; forms_key Q; shot F5-forms-refused-key
forms_row 1; sleep 1; forms_print_sample; shot F6-forms-printed 4
pdf=$(ls -t "$data"/a4/*.pdf 2>/dev/null | head -1 || true)
[ -n "$pdf" ] && pdftoppm -png -r 80 -singlefile "$pdf" "$out/F7-forms-a4"; echo "$out/F7-forms-a4.png"
finish

card 0; english; forms_tile; shot F0-forms-library-en 1
forms_dept 0; forms_key J; shot F1-forms-search-en
forms_cand 1; forms_key Z; forms_key Z; forms_row 1; shot F2-forms-page-en 1
forms_zoom_in; forms_zoom_in; shot F3-forms-zoom-en
forms_blank; shot F4-forms-blank-en
forms_back; forms_key Q; forms_key Q; shot F5-forms-refused-key-en
forms_row 1; sleep 1; forms_print_sample; shot F6-forms-printed-en 4
finish
