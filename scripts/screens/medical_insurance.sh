# Medical insurance (issue 13 §4): sourced by scripts/screenshots, which defines shot, tap,
# panel, card, scan and digit, $out and $data. Starts and ends on the attract screen.
# 赵秀英 (sample card 3) has a year of records; 欧阳䶮然 (card 5) has none.
# Where the menu's medical-insurance tile is (7th tile): adjust with the menu's layout.
med_tile_x=${med_tile_x:-270}
med_tile_y=${med_tile_y:-853}
med_finish() { tap 1679 1009; sleep 0.8; }             # the footer's finish
med_walk() {                                           # $1: "" Chinese, "-en" English
  local en=$1
  card 3
  [ -n "$en" ] && { tap 1779 55; sleep 0.5; }          # the language toggle on the menu
  tap "$med_tile_x" "$med_tile_y"; shot "70-medical-overview$en" 2
  tap 640 80; sleep 0; tap 370 0 2>/dev/null || true
  tap 370 "$med_tab_y"; shot "71-medical-contributions$en" 0.8
  tap 690 "$med_tab_y"; shot "72-medical-spending$en" 0.8
  # Scroll the records: drag the list up.
  xdotool mousemove 900 700 mousedown 1 mousemove 900 450 sleep 0.2 mousemove 900 300 mouseup 1
  shot "73-medical-spending-scrolled$en" 0.8
  tap 50 "$med_tab_y" >/dev/null 2>&1; tap 210 "$med_tab_y"      # back to the overview
  tap "$med_print_x" "$med_tab_y"; shot "74-medical-printed$en" 2.5
  med_finish
  card 5
  [ -n "$en" ] && { tap 1779 55; sleep 0.5; }
  tap "$med_tile_x" "$med_tile_y"; shot "75-medical-no-record$en" 2
  med_finish
}
med_tab_y=${med_tab_y:-208}
med_print_x=${med_print_x:-1580}
med_walk ""
statement=$(ls -t "$data"/a4/medical-statement-*.pdf | head -1)
pdftoppm -png -r 80 -singlefile "$statement" "$out/76-medical-statement-a4"
echo "$out/76-medical-statement-a4.png"
sleep 10                                               # the attract screen is back in Chinese
med_walk "-en"
