#!/bin/sh
# Stands in for `terraform apply DIR/REGION.tfplan`: refuses a plan made against another
# state than the one there now ("Saved plan is stale", as Terraform does), else writes the
# planned settings as the new state.
#   terraform-apply.sh REGION DIR
set -eu
region=$1 dir=$2
plan="$dir/$region.tfplan" state="$dir/$region.tfstate"
[ -f "$plan" ] || { echo "Error: Failed to load \"$plan\" as a plan file" >&2; exit 1; }
[ -f "$state" ] || : >"$state"
serial=$(cksum <"$state" | cut -d' ' -f1)
planned=$(gzip -dc "$plan" | sed -n 's/^planned-against=//p')
if [ "$planned" != "$serial" ]; then
    echo "Error: Saved plan is stale: the state changed since this plan was made; plan again" >&2
    exit 1
fi
gzip -dc "$plan" | grep -v '^planned-' >"$state.new"
changed=$(diff "$state" "$state.new" | grep -c '^>' || true)
mv "$state.new" "$state"
echo "Apply complete! Resources: $changed changed ($region)."
