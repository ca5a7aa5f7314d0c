# Following an application (sourced by scripts/screenshots; issue 6): the three ways in, the
# card holder's cases, typing a number, a forged and a genuine receipt QR on the attract
# screen; in Chinese then in English. Starts and ends on the attract screen.
progress_walk() {  # $1: "" or "-en"; the session is already in its language
  tile 1; shot "21-progress$1"
  tap 919 476; shot "22-progress-by-card$1" 1.2
  tap 209 1009; sleep 0.4; tap 1480 476; sleep 0.4; tap 650 359
  for d in 2 0 2 6 1 1 2 0; do cdigit $d; done; shot "24-case-entry$1"
  finish
}
card 0; shot 20-menu-services
progress_walk ""
scan 1; shot 25-attract-forged-code 0.8
scan 0; shot 23-progress-by-receipt-qr 1.2
finish

card 0; english; progress_walk -en
english; scan 1; shot 25-attract-forged-code-en 0.8       # the language holds on the attract screen
scan 0; shot 23-progress-by-receipt-qr-en 1.2
finish
