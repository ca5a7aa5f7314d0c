# The queue ticket (sourced by scripts/screenshots): menu, area, phone number, the ticket and
# its paper, in Chinese then in English; the idle countdown; the tile when the paper is out.
# Starts and ends on the attract screen.
done_ticket() { tap 770 936; sleep 0.5; }                 # the done page's own 完成 / Finish
card 0; shot 03-menu
tile 0; shot 04-area-select
tap 489 359; for d in 1 3 8 0 0 1 3 8 0 0 0; do digit $d; done; shot 05-phone
tap 303 529; shot 07-ticket-done 1.5
ticket=$(ls -t "$data"/printer/receipt-*.png | head -1)
cp "$ticket" "$out/08-printed-ticket.png"; echo "$out/08-printed-ticket.png"
panel; shot 09-demo-panel-receipt; panel
done_ticket

card 1; english; shot 12-menu-en
tile 0; shot 13-area-select-en
tap 489 359; for d in 1 3 8 0 0 1 3 8 0 0 0; do digit $d; done; shot 05-phone-en
tap 327 621; shot 07-ticket-done-en 1.5             # the English title wraps: the button is lower
done_ticket

card 1; english; tile 0
sleep 61; shot 11-idle-countdown 0                        # an English session left alone
sleep 10                                                  # the countdown ends the session

paper                                                    # paper runs out
sleep 6                                                   # the printer's idle poll sees it
card 0; shot 14-menu-paper-out 1                          # the ticket's tile says why
finish
paper                                                    # restock
