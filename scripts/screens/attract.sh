# The attract screen (sourced by scripts/screenshots): Chinese, the demo's operator panel,
# English, and an expired card's notice in both. Starts and ends on the attract screen (in
# Chinese).
shot 01-attract-zh 0
panel; shot 02-demo-operator-panel; panel
english; shot 10-attract-en 0.3; english
card 2; shot 15-attract-card-expired 0.5
english; card 2; shot 15-attract-card-expired-en 0.5      # the language holds for the notice
english
sleep 11                                                  # the notice clears
