# Copying the ID card (sourced by scripts/screenshots; issue 6): what for, laying the card,
# both sides scanned, the A4 preview, the done page and the printed PDF; in Chinese then in
# English. Starts and ends on the attract screen.
# done_copy: the done page's own 完成 / Finish; the "take your ID card" page that follows
# waits for an empty glass: the card is taken off it (a card, a page, empty), then laid
# back for the next walk (lid open, a card).
done_copy() { tap 960 703; sleep 0.5; glass; glass; sleep 0.8; glass; glass; }
copy_walk() {  # $1: "" or "-en"; the session is already in its language
  tile 2; shot "26-copy-purpose$1"
  tap 980 418; shot "27-copy-scan-front$1"
  tap 971 728; shot "28-copy-scanned-front$1" 2.5
  tap 1365 728; sleep 0.4; tap 971 728; shot "29-copy-scanned-back$1" 2.5
  tap 1365 728; shot "30-copy-preview$1" 0.8
  tap 1273 614; shot "31-copy-done$1" 2.5
}
card 0; copy_walk ""
pdf=$(ls -t "$data"/a4/id-copy-*.pdf | head -1)
pdftoppm -png -r 80 "$pdf" "$out/32-id-copy-a4"; echo "$out/32-id-copy-a4-1.png"
done_copy

card 0; english; copy_walk -en
done_copy
