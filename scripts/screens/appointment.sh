# The appointment's pages (issue 13 §1), sourced by scripts/screenshots: uses its `shot`,
# `tap`, `card`, `digit`, `$out` and `$data`. Starts and ends on the attract screen, in
# Chinese. The simulator's sample appointments (docs/platform-api.md, "Simulator notes"):
# 张伟 (card 0) has one today (check-in works) and one next week; 阿依古丽 (card 4) one
# today two hours on (too early) and a refused offline request she was not told of; 赵秀英
# (card 3) a confirmed offline booking she was not told of. Each notice shows once, so
# 阿依古丽's first visit is the English one. 欧阳䶮然 (card 5) has nothing: the English
# booking walk uses her card, so 张伟's list stays as it is.
appt_slip() { local f; f=$(ls -t "$data"/printer/receipt-*.png | head -1); cp "$f" "$out/$1.png"; echo "$out/$1.png"; }
appt_lang() { tap 1779 55; sleep 0.4; }             # the header's language toggle

# Chinese: 张伟's list (签到 beside today's), then a booking: matter, day, slot, phone, slip.
card 0; tile 3; shot 40-appointment-matter 1.5
tap 492 604; shot 41-appointment-day 1.5
tap 277 380; shot 42-appointment-slot 1.5
tap 231 390; for d in 1 3 8 0 0 1 3 8 0 0 0; do digit $d; done; shot 43-appointment-phone
tap 640 529; shot 44-appointment-booked 3
appt_slip 45-printed-appointment-slip
tap 769 769; sleep 0.8                               # finish
# Check-in with the card: the priority ticket on screen and on paper.
card 0; tile 3; sleep 1.5; tap 1233 241; shot 46-appointment-checked-in 2.5
appt_slip 47-printed-priority-ticket
tap 960 847; sleep 0.8                               # finish

# 阿依古丽 in English: her refused request on the menu, then too early to check in.
card 4; appt_lang; shot 49-appointment-notice-en 1.2
tile 3; sleep 1.5; tap 1233 241; shot 48-appointment-too-early-en 2
tap 1286 800; sleep 0.8                              # finish
# In Chinese: too early, and the ordinary ticket taken instead in one touch.
card 4; tile 3; sleep 1.5; tap 1233 241; shot 48-appointment-too-early 2
tap 744 800; shot 48-appointment-ordinary-ticket 2.5
tap 960 815; sleep 0.8                               # finish
# 赵秀英: her offline booking was confirmed.
card 3; shot 49-appointment-notice 1.2
tap 1679 1009; sleep 0.8                             # finish

# English: 张伟's list (checked in: "Ticket again") and the ticket again.
card 0; appt_lang; tile 3; shot 40-appointment-matter-en 1.5
tap 1233 241; shot 46-appointment-checked-in-en 2.5
tap 960 847; sleep 0.8
# English booking with 欧阳䶮然's card (no appointments: the matters at the top).
card 5; appt_lang; tile 3; sleep 1.5; tap 488 359; shot 41-appointment-day-en 1.5
tap 277 380; shot 42-appointment-slot-en 1.5
tap 231 390; for d in 1 3 8 0 0 1 3 8 0 0 0; do digit $d; done; shot 43-appointment-phone-en
tap 640 621; shot 44-appointment-booked-en 3       # the English title wraps: the button is lower
tap 769 769; sleep 0.8                               # finish: the attract screen, in Chinese
