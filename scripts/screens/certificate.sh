# The certificate service (issue 13 §2), sourced by scripts/screenshots: starts and ends on
# the attract screen. Chinese, then English (the language toggle on the menu). Shots 50-59;
# 57 is the first page of the printed PDF, 58 the receipt slip. Coordinates are for the
# 1920x1080 layout: the menu's fifth tile is the first of its second row. The printing page
# (53) is not shot: the demo's folder printer is done before a picture can be taken.
cert_tile() { tile 4; }
cert_kind() { case $1 in 1) tap 484 377;; 2) tap 1399 377;; 3) tap 484 629;; esac; }
cert_back() { tap 1315 777; }          # "Back" beside the preview
cert_print() { tap 1315 629; }         # "Print the certificate" beside the preview
cert_finish() { tap 960 763; }         # "Finish" on the done page
cert_refused_finish() { tap 1216 768; } # "Finish" on the problem page

sleep 10                                                  # any earlier session has ended
card 0; cert_tile; shot 50-certificate-kind 1.2
cert_kind 1; shot 51-certificate-preparing 0.1
shot 52-certificate-preview 3
cert_print; shot 54-certificate-done 3
pdf=$(ls -t "$data"/a4/certificate-*.pdf | head -1)
pdftoppm -png -r 80 -singlefile "$pdf" "$out/57-certificate-a4"; echo "$out/57-certificate-a4.png"
slip=$(ls -t "$data"/printer/receipt-*.png | head -1)
cp "$slip" "$out/58-printed-certificate-slip.png"; echo "$out/58-printed-certificate-slip.png"
cert_finish; sleep 0.5
card 5; cert_tile; sleep 1.2; cert_kind 1; shot 55-certificate-no-record 2
cert_refused_finish; sleep 0.5

# English.
card 0; tap 1779 55; sleep 0.4; cert_tile; shot 50-certificate-kind-en 1.2
cert_kind 2; shot 51-certificate-preparing-en 0.1
shot 52-certificate-preview-en 3
cert_print; shot 54-certificate-done-en 3
cert_finish; sleep 0.5
card 5; tap 1779 55; sleep 0.4; cert_tile; sleep 1.2; cert_kind 1; shot 55-certificate-no-record-en 2
cert_refused_finish; sleep 0.5
