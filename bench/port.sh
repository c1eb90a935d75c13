# shellcheck shell=bash
# bench/port.sh — free_port, sourced by the benchmarks after $W (their work
# directory) exists: a free TCP port on 127.0.0.1, not handed out before in
# this run (remembered in $W/.ports, as $(free_port) runs in a subshell), and
# below the kernel's ephemeral range (ip_local_port_range): a port in that
# range can be held by an outgoing connection, or by one in TIME-WAIT (wrk's,
# say, in bench/supervisor.sh -b), and postgres then cannot bind it.
PORT_HI=$(($(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768) - 1))
[ "$PORT_HI" -gt 21000 ] || PORT_HI=32767
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % (PORT_HI - 20000 + 1)))
		grep -qx "$p" "$W/.ports" 2>/dev/null && continue
		if command -v ss >/dev/null && [ -n "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			continue
		fi
		echo "$p" >>"$W/.ports"
		echo "$p"
		return 0
	done
	echo "bench: no free port found" >&2
	return 1
}
