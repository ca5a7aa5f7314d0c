# Personal documents (issue 13 §3): a bash fragment that scripts/screenshots sources. It uses
# that script's `shot`, `tap`, `card` and `$data`, `$out`; it starts and ends on the attract
# screen. Coordinates are for the 1920x1080 layout. The tile is the menu's sixth (second row,
# second column); PDOCS_TILE overrides it, e.g. "270 806" on a build without the certificate
# service.
pd_walk() {   # $1: "" for Chinese, "-en" for English
  local en=$1
  card 0
  [ -n "$en" ] && { tap 1779 55; sleep 0.5; }                # the language toggle
  tile 5; shot "60-documents-list$en" 1.5
  tap 1416 570; shot "61-documents-preview$en" 3             # 机动车驾驶证, no purpose yet
  tap 1316 814; shot "62-documents-choose-purpose-first$en" 0.8   # print without a purpose
  tap 1041 327; shot "63-documents-preview-with-overlay$en" 3     # 办理银行业务
  tap 1316 814; shot "64-documents-printed$en" 3
  tap 960 674; sleep 1                                        # finish
  card 5                                                      # 欧阳䶮然: nothing kept
  [ -n "$en" ] && { tap 1779 55; sleep 0.5; }
  tile 5; shot "65-documents-none$en" 1.5
  finish                                                      # the footer's finish
}
pd_walk ""
pdf=$(ls -t "$data"/a4/personal-document-*.pdf | head -1)
pdftoppm -png -r 60 -singlefile "$pdf" "$out/66-documents-printed-a4"; echo "$out/66-documents-printed-a4.png"
pd_walk "-en"
