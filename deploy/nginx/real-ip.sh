#!/bin/sh
# The client's real address behind load balancers in front of Blogroll's proxy: an nginx image
# start-up hook (mounted as /docker-entrypoint.d/40-blogroll-real-ip.sh, run before nginx starts).
#
# BLOGROLL_REAL_IP_FROM lists the addresses or CIDR ranges of the hops in front (commas or spaces
# between them), e.g. "10.0.0.0/8" for a cloud load balancer's network. nginx then takes the client's
# address from the X-Forwarded-For those hops send, skipping every trusted hop from the right, so
# the write rate limit, nginx's log and the app (through the X-Forwarded-For nginx passes on) see
# the client, not the balancer. Requests from any other address keep their own address, whatever
# X-Forwarded-For they carry. Empty or unset: nothing is believed (the default).
#
# nginx needs one `set_real_ip_from` per address, which the image's envsubst templates cannot
# repeat, so this writes the file itself, into the tmpfs (the root filesystem is read-only):
# blogroll.conf includes $BLOGROLL_NGINX_GENERATED/*.conf (default /tmp/blogroll.d).
set -eu

out=${BLOGROLL_NGINX_GENERATED:-/tmp/blogroll.d}
mkdir -p "$out"
rm -f "$out/real-ip.conf"
entries=$(printf '%s' "${BLOGROLL_REAL_IP_FROM:-}" | tr ',' ' ')
[ -n "$(printf '%s' "$entries" | tr -d ' \t\n')" ] || exit 0

conf="# Rendered from BLOGROLL_REAL_IP_FROM by $0 at start-up."
set -f  # an entry like "*" is refused below, not expanded to file names
for entry in $entries; do
  # IPv4 or IPv6 addresses and ranges only (nginx checks the numbers): no host names, nothing that
  # could add a directive.
  if ! printf '%s\n' "$entry" | grep -Eqx '([0-9]{1,3}\.){3}[0-9]{1,3}(/[0-9]{1,2})?|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(/[0-9]{1,3})?'; then
    echo "blogroll: BLOGROLL_REAL_IP_FROM: \"$entry\" is not an IP address or CIDR range" \
      "(like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)" >&2
    exit 1
  fi
  conf="$conf
set_real_ip_from $entry;"
done
printf '%s\nreal_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n' "$conf" > "$out/real-ip.conf"
echo "blogroll: believing X-Forwarded-For from $(printf '%s' "$entries" | tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//')"
