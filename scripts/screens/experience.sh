# The shell's kiosk experience (issue 17), sourced by scripts/screenshots: "take your ID
# card", elderly mode (长辈模式), high contrast and "call staff"; Chinese and English. Shots
# U1-U4. Starts and ends on the attract screen. Coordinates are for the 1920x1080 layout.
x_elderly() { tap 793 994; sleep 0.5; }        # the attract screen's "elderly mode" toggle
x_contrast() { tap 1125 994; sleep 0.5; }      # ... and "high contrast"
x_call() { tap 1534 54; sleep 0.6; }            # the header's "call staff"
x_close_help() { tap 960 700; sleep 0.4; }      # "close" on its panel
x_more() { tap 1662 785; sleep 0.4; }           # elderly menu: "more services" (right of the page count)
x_end() { tap 1679 1009; sleep 0.6; }           # the footer's finish, card left on the reader

sleep 2
card 0; x_end; shot U1-take-card 0.3
uncard; shot U1-after-take-card 0.3
card 0; english; x_end; shot U1-take-card-en 0.3
uncard

x_elderly; shot U2-elderly-attract
card 0; shot U2-elderly-menu
x_more; shot U2-elderly-menu-more
english; shot U2-elderly-menu-en
x_end; shot U2-elderly-take-card-en 0.3
uncard

x_contrast; shot U3-high-contrast-attract
card 0; shot U3-high-contrast-menu
english; shot U3-high-contrast-menu-en
x_end; uncard

card 0; x_call; shot U4-call-staff
x_close_help; english; x_call; shot U4-call-staff-en
x_close_help; x_end; uncard
