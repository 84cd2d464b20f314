# Sourced by scripts/run and scripts/manage: the environment of the embedded
# default. Secrets are generated once into var/run.env; anything already in
# the environment wins over the file.
VENV="${VENV:-.venv}"
export PATH="$PWD/$VENV/bin:$PATH"
mkdir -p var
if [ ! -f var/run.env ]; then
  python - > var/run.env <<'PY'
import secrets
from cryptography.fernet import Fernet
print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"SES_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
PY
  chmod 600 var/run.env
fi
while IFS= read -r line; do
  name="${line%%=*}"
  [ -n "$name" ] && [ -z "${!name+x}" ] && export "$name=${line#*=}"
done < var/run.env
export DEBUG="${DEBUG:-1}"
