# Sourced by the run and test scripts: puts the cached tools on PATH.
TOOLS="${LATCHKEY_TOOLS:-$HOME/.cache/latchkey-tools}"
export PATH="$TOOLS/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"
