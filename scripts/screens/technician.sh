# The technician screen (issue 16; sourced by scripts/screenshots): the PIN gate (F3) with the
# demo's technician badge 9001 and PIN 135790 opens it. Shots T1-…: the devices with the
# reader's protocol log, the reader's test-card read (masked), the receipt printer's self-test and its test page, the code scanner's
# test code, the document scanner's test scan (the demo's glass), the platform link, the bundle saved on the kiosk; Chinese, then English (the
# attract screen's language toggle). Starts and ends on the attract screen.
tech() { s_sign_in 9001 135790; sleep 0.5; }
tech_row() { tap 307 $((196 + 134 * $1)); sleep 0.4; }   # 0 reader … 4 A4 printer
tech_test() { tap 1253 305; }                            # the self-test button
tech_tab() { tap $((567 + 433 * $1)) 54; sleep 0.4; }    # 0 devices, 1 link, 2 bundle
tech_exit() { tap 1770 54; sleep 0.5; }
tech_save() { tap 796 311; }                            # "save on the kiosk"

tech_walk() {  # $1: "" or "-en"
  tech; shot "T1-technician-devices$1" 1.5
  tech_test; sleep 0.5; card 5; shot "T1-technician-test-card$1" 1.5
  tech_row 1; tech_test; shot "T1-technician-printer$1" 2
  tech_row 2; tech_test; sleep 0.3; scan 0; shot "T1-technician-code$1" 1
  tech_row 3; tech_test; shot "T1-technician-doc-scanner$1" 2.5
  tech_tab 1; shot "T1-technician-link$1" 2
  tech_tab 2; tech_save; shot "T1-technician-bundle$1" 2
  tech_exit
}
tech_walk ""
slip=$(ls -t "$data"/printer/receipt-*.png | head -1)
cp "$slip" "$out/T1-technician-test-page.png"; echo "$out/T1-technician-test-page.png"
english; tech_walk "-en"; english
