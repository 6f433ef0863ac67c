# Sourced by ci-backends.sh, lab.sh and test.sh: where the Python environments of the test
# servers live (moto; kubectl and the Helm SDK). Under the account's home as the password
# database has it, not $HOME, so a shell started with another HOME (sudo -E, a CI runner, a
# tmux session) finds the same ones; MERIDIAN_TEST_VENV and MERIDIAN_KUBE_VENV override.
account_home=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)
account_home=${account_home:-$HOME}
export MERIDIAN_TEST_VENV="${MERIDIAN_TEST_VENV:-$account_home/.cache/meridian/venv-aws}"
export MERIDIAN_KUBE_VENV="${MERIDIAN_KUBE_VENV:-$account_home/.cache/meridian/venv-kube}"
unset account_home
