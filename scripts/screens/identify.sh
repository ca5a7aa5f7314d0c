# Identifying without the card (issue 15 §4), sourced by scripts/screenshots: starts and
# ends on the attract screen. Chinese, then English. Shots 9x-: the keypad, a wrong check
# digit, the whole number grouped, the code page, a wrong code, the menu after the SMS
# code (card-only tiles say why), the lock after five wrong codes, no phone on file, the
# e-ID's menu, and the demo panel with the last SMS. The code is read from the simulator's
# SMS gateway (`/control/sms`), as a citizen reads it on their phone.
sim_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$data/kiosk.log" | head -1)
id_open() { tap 960 621; sleep 0.8; }      # "No ID card with you?" on the attract screen
id_key() { case $1 in
  1) tap 1421 219;; 2) tap 1600 219;; 3) tap 1778 219;; 4) tap 1421 335;; 5) tap 1600 335;;
  6) tap 1778 335;; 7) tap 1421 451;; 8) tap 1600 451;; 9) tap 1778 451;; X) tap 1421 567;;
  0) tap 1600 567;; d) tap 1778 567;; esac; sleep 0.08; }
id_type() { local s=$1 i; for ((i = 0; i < ${#s}; i++)); do id_key "${s:i:1}"; done; }
id_send() { tap 1600 702; sleep 1.2; }     # "Send SMS code" / "Confirm code"
id_code() { curl -s "$sim_url/control/sms?number=$1" | grep -o '核验码为[0-9]\{6\}' | tail -1 | grep -o '[0-9]\{6\}'; }
id_wrong() { local c; c=$(id_code "$1"); [ "$c" = 000000 ] && echo 111111 || echo 000000; }

sleep 21                                                  # an earlier notice or rating step has gone
shot 9x-identify-attract 0; english; shot 9x-identify-attract-en 0.3; english
id_open; shot 9x-identify-keypad 0.2
id_type 110101198503120018; shot 9x-identify-check-digit 0.3
id_key d; id_key 7; shot 9x-identify-typed 0.3
id_send; shot 9x-identify-code 0.3
sms; shot 9x-identify-demo-panel-sms 0.3; panel
id_type "$(id_wrong 13800138000)"; id_send; shot 9x-identify-wrong-code 0.3
id_type "$(id_code 13800138000)"; id_send; shot 9x-identify-menu 0.5
finish
id_open; id_type 31010419900707127X; id_send
for i in 1 2 3 4 5; do id_type "$(id_wrong 13912345678)"; id_send; done
shot 9x-identify-locked 0.3; finish
id_open; id_type 510107195510084228; id_send; shot 9x-identify-no-phone 0.3; finish
eid; shot 9x-identify-eid-menu 0.5; finish

# English.
english; id_open; shot 9x-identify-keypad-en 0.2
id_type 440305197202154560; shot 9x-identify-check-digit-en 0.3
id_key d; id_key 1; shot 9x-identify-typed-en 0.3
id_send; shot 9x-identify-code-en 0.3
id_type "$(id_wrong 13700137000)"; id_send; shot 9x-identify-wrong-code-en 0.3
id_type "$(id_code 13700137000)"; id_send; shot 9x-identify-menu-en 0.5
finish
english; id_open; id_type 650102199311082366; id_send
for i in 1 2 3 4 5; do id_type "$(id_wrong 15099110000)"; id_send; done
shot 9x-identify-locked-en 0.3; finish
english; id_open; id_type 510107195510084228; id_send; shot 9x-identify-no-phone-en 0.3; finish
english; eid; shot 9x-identify-eid-menu-en 0.5; finish
