#!/bin/sh
# Stands in for `terraform plan -var-file=infrastructure/environments/ENV-REGION.tfvars
# -out=DIR/REGION.tfplan` followed by `terraform show -no-color DIR/REGION.tfplan >
# DIR/REGION.txt`: compares the region's tfvars with what was applied last (DIR/REGION.tfstate)
# and writes a binary plan file (gzip, stamped with the state it was planned against and the
# time, so every plan is a new file with a new hash, as Terraform's are) and its text form.
#   terraform-plan.sh ENV REGION DIR
set -eu
env=$1 region=$2 dir=$3
here=$(cd "$(dirname "$0")" && pwd)
vars="$here/infrastructure/environments/$env-$region.tfvars"
[ -f "$vars" ] || { echo "Error: no variables file $vars" >&2; exit 1; }
mkdir -p "$dir"
state="$dir/$region.tfstate"
[ -f "$state" ] || : >"$state"
serial=$(cksum <"$state" | cut -d' ' -f1)
add=0 change=0 destroy=0
{
    echo "Terraform used the selected providers to generate the following execution plan."
    echo "Resource actions are indicated with the following symbols:"
    echo "  + create   ~ update in-place   - destroy"
    echo
    echo "Terraform will perform the following actions ($env, $region):"
    echo
} >"$dir/$region.txt.tmp"
while IFS='=' read -r key value; do
    key=$(echo "$key" | tr -d ' ') value=$(echo "$value" | sed 's/^ *//')
    [ -n "$key" ] || continue
    old=$(grep "^$key=" "$state" | cut -d= -f2- || true)
    if [ -z "$old" ]; then
        echo "  + setting.$key = $value" >>"$dir/$region.txt.tmp"; add=$((add + 1))
    elif [ "$old" != "$value" ]; then
        echo "  ~ setting.$key: $old -> $value" >>"$dir/$region.txt.tmp"; change=$((change + 1))
    fi
done <"$vars"
while IFS='=' read -r key old; do
    [ -n "$key" ] || continue
    grep -q "^ *$key *=" "$vars" || { echo "  - setting.$key (was $old)" >>"$dir/$region.txt.tmp"; destroy=$((destroy + 1)); }
done <"$state"
{
    echo
    echo "Plan: $add to add, $change to change, $destroy to destroy."
} >>"$dir/$region.txt.tmp"
{
    echo "planned-against=$serial"
    echo "planned-at=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)"
    sed 's/ *= */=/' "$vars"
} | gzip -c >"$dir/$region.tfplan"
mv "$dir/$region.txt.tmp" "$dir/$region.txt"
cat "$dir/$region.txt"
echo
echo "Saved the plan to: $dir/$region.tfplan"
