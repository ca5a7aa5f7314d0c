# The rating step (好差评, issue 15 §2), sourced by scripts/screenshots: after a queue ticket,
# the five levels, the reasons of a lower level, thanks; in Chinese, then in English. Shots
# 80-83. Starts and ends on the attract screen (the rating step gives way to it by itself).
rate_level() { tap $((288 + 336 * $1)) 568; sleep 0.4; }   # 0 very satisfied … 4 very unsatisfied
rate_reason() { case $1 in                                  # 0..5 in the page's order
  0) tap 407 517;; 1) tap 960 517;; 2) tap 1511 517;;
  3) tap 407 683;; 4) tap 960 683;; 5) tap 1511 683;; esac; sleep 0.2; }
rate_submit() { tap 1299 844; sleep 0.4; }
rate_ticket() {  # a ticket with no SMS, the done page's own Finish, the card taken back;
  # $1: the "no SMS" button's y (the English title wraps: the button is lower)
  tile 0; sleep 0.6; tap 489 359; sleep 0.6; tap 900 "${1:-528}"; sleep 2; tap 770 936; sleep 0.5; uncard; }

sleep 10                                                  # any earlier session has ended
card 0; rate_ticket; shot 80-rating-levels 0.8
rate_level 3; shot 81-rating-reasons
rate_reason 0; rate_reason 5; shot 82-rating-reasons-picked
rate_submit; shot 83-rating-thanks 0.2
sleep 4

# The rating step is in Chinese after the wipe, like the attract screen: the toggle.
card 1; english; rate_ticket 620; sleep 0.5; english; shot 80-rating-levels-en 0.8
rate_level 3; shot 81-rating-reasons-en
rate_reason 0; rate_reason 5; shot 82-rating-reasons-picked-en
rate_submit; shot 83-rating-thanks-en 0.2
sleep 4
