# Applying for a matter (issue 14 §2), sourced by scripts/screenshots: starts and ends on the
# attract screen. Chinese, then English. Shots A0 the matters, A1 the instructions.
# NOT YET WALKED beyond the instructions: the card, form, fields, materials, delivery and the
# typed address (district, street by initials, number, check) still need their coordinates
# checked against ui/services/apply/pages.slint at 1920x1080 (tests/e2e/apply.rs walks them
# through the real window by their labels).
# The demo panel now shows its sample cards two a row; until scripts/screenshots' `card`
# and `uncard` follow, this walk uses its own (checked on the debug build):
acard() { panel; tap $((1584 + 211 * ($1 % 2))) $((158 + 68 * ($1 / 2))); sleep 1.6; panel; }
auncard() { panel; tap 1689 363; sleep 1.2; panel; }
apply_tile() { tap 709 818; sleep 1.5; }      # the tenth tile: second of the third row
apply_matter() { tap 960 $((400 + 156 * $1)); sleep 0.8; }  # matter N (0 老人卡申办)
apply_start() { tap 267 719; sleep 0.8; }     # "start the application" (老人卡申办's page)
apply_finish() { tap 1687 1013; sleep 0.5; auncard; }

sleep 8
# 赵秀英 (card 3, born 1955): old enough for the senior citizen's card.
acard 3; apply_tile; shot A0-apply-matters
apply_matter 0; shot A1-apply-instructions
apply_finish

acard 3; english; apply_tile; shot A0-apply-matters-en
apply_matter 0; shot A1-apply-instructions-en
apply_finish
