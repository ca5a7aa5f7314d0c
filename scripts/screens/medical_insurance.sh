# Medical insurance (issue 13 §4), sourced by scripts/screenshots (shot, tap, panel, card,
# $out, $data). Starts and ends on the attract screen. 赵秀英 (sample card 3) has a year of
# records with a hospital stay; 欧阳䶮然 (card 5) has none. Every page in Chinese, then in
# English; the printed statement's page as PNG.
# The tile: the menu's 7th (tile 6).
med_tabs_y=185                                          # the tabs and the print button
med_walk() {                                            # $1: "" Chinese, "-en" English
  local en=$1
  card 3
  if [ -n "$en" ]; then tap 1779 55; sleep 0.5; fi     # the language toggle on the menu
  tile 6; shot "70-medical-overview$en" 2.5
  tap 520 "$med_tabs_y"; shot "71-medical-contributions$en" 1
  tap 840 "$med_tabs_y"; shot "72-medical-spending$en" 1
  # Drag the records up: the scroll bar on the right shows where the list is.
  xdotool mousemove 900 800 mousedown 1 mousemove 900 650 sleep 0.1 mousemove 900 450 \
    sleep 0.1 mousemove 900 400 mouseup 1
  shot "73-medical-spending-scrolled$en" 1
  tap 200 "$med_tabs_y"; sleep 0.4
  tap 1589 "$med_tabs_y"; shot "74-medical-printed$en" 3   # print the statement
  tap 1679 1009; sleep 0.8                              # finish
  card 5
  if [ -n "$en" ]; then tap 1779 55; sleep 0.5; fi
  tile 6; shot "75-medical-no-record$en" 2.5
  tap 1679 1009; sleep 0.8                              # finish: the attract screen
}
med_walk ""
statement=$(ls -t "$data"/a4/medical-statement-*.pdf | head -1)
pdftoppm -png -r 80 -singlefile "$statement" "$out/76-medical-statement-a4"
echo "$out/76-medical-statement-a4.png"
med_walk "-en"
