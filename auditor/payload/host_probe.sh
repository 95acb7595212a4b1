# auditor host probe (POSIX sh flavour): measures, never judges.
#
# Contract (docs/observations.md, "The sh payload"): runs under BusyBox ash
# and dash (POSIX sh, no bashisms, no `local`) on hosts without Python.
# It also travels as the body of a Python string (auditor/payload/sh.py,
# build_launcher): no triple single quote, and no backslash escape that Python
# rejects (use sed -E, and bracket expressions such as [(] for a literal paren).
# auditor.payload.sh.build_sh_program replaces the PLAN_VERSION slot line
# below with PLAN_* assignments; the values are checked by the controller
# (a safe character set only), so they never need quoting here.
# Every probe of the plan runs as a background job whose tools are bounded
# by `timeout` (or a sleep/kill watchdog); one JSON document is printed
# between the marker lines before the plan deadline, whatever hangs.
# Everything a tool printed is hostile: it reaches the document only through
# js(), which keeps printable ASCII and escapes backslash and double quote.
# Where a tool cannot tell two states apart, the status says so
# (failed_indistinct, not_observable, tool-checked answers) instead of guessing.

PLAN_VERSION=""  # AUDITOR-PLAN-SLOT (replaced by build_sh_program)
BECOME=''  # AUDITOR-BECOME-SLOT (replaced by build_sh_program; empty: no become password)

BEGIN='-----BEGIN AUDITOR OBSERVATIONS-----'
END='-----END AUDITOR OBSERVATIONS-----'
MAX_PROBES=256
CONNECTED_MARK='AUDITOR-TCP-CONNECTED'

have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- text, time

js() {
	# one JSON string from untrusted text: printable ASCII, <= 300 chars
	[ -n "$1" ] || { printf '""'; return; }
	printf '%s' "$1" | tr '\n\r\t' '   ' | tr -cd ' -~' | cut -c 1-300 |
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/"/'
}

last_line() {
	# the last non-empty line of file $1 (an error message, usually)
	_ll=''
	while IFS= read -r _l || [ -n "$_l" ]; do
		[ -n "$_l" ] && _ll=$_l
	done <"$1"
	printf '%s' "$_ll"
}

now_cs() {
	# centiseconds on a monotonic-ish clock: /proc/uptime, else date +%s
	if [ -r /proc/uptime ] && read -r _up _rest </proc/uptime 2>/dev/null; then
		_f=${_up#*.}
		_f=${_f#0}
		echo $((${_up%%.*} * 100 + _f))
	else
		echo $(($(date +%s) * 100))
	fi
}

dur() {
	_d=$(($(now_cs) - $1))
	[ "$_d" -ge 0 ] || _d=0
	printf '%d.%02d' $((_d / 100)) $((_d % 100))
}

is_ip() {
	case $1 in
	'' | *[!0-9a-fA-F.:%]*) return 1 ;;
	*:*) return 0 ;;
	*[!0-9.]* | *..* | .* | *.) return 1 ;;
	*.*.*.*) return 0 ;;
	esac
	return 1
}

killed() { [ "$1" -eq 124 ] || [ "$1" -eq 137 ] || [ "$1" -eq 143 ]; }

bounded() {
	# bounded SECONDS PROGRAM ARGS...: run an external program for at most SECONDS
	_b=$1
	shift
	case $TIMEOUT_STYLE in
	plain) timeout "$_b" "$@" ;;
	dash_t) timeout -t "$_b" "$@" ;;
	*)
		"$@" &
		_bp=$!
		(sleep "$_b" && kill "$_bp") >/dev/null 2>&1 &
		_bw=$!
		wait "$_bp"
		_brc=$?
		kill "$_bw" >/dev/null 2>&1
		return $_brc
		;;
	esac
}

# ---------------------------------------------------------------- tools

detect_tools() {
	TIMEOUT_STYLE=watchdog
	if timeout 5 true >/dev/null 2>&1; then
		TIMEOUT_STYLE=plain
	elif timeout -t 5 true >/dev/null 2>&1; then
		TIMEOUT_STYLE=dash_t
	fi
	SH_PATH=$(command -v sh)
	NC_MODE=''
	if have nc; then
		_h=$(nc -h 2>&1 </dev/null)
		case $_h in
		*' -z'*) NC_MODE=zero ;;
		*'-e PROG'*) NC_MODE=exec ;;
		esac
	fi
	TOOLS=''
	for _t in nc nslookup dig getent openssl sudo ps timeout; do
		have "$_t" && TOOLS="$TOOLS${TOOLS:+,}\"$_t\""
	done
}

# ---------------------------------------------------------------- resolving

resolve_name() {
	# RES_STATUS (resolved|resolve_failed|timeout|not_observable|error),
	# RES_ADDRS (space separated, <= 16), RES_ERROR, RES_METHOD
	RES_ADDRS='' RES_ERROR='' RES_METHOD=''
	if is_ip "$1"; then
		RES_STATUS=resolved RES_ADDRS=$1 RES_METHOD=literal
		return
	fi
	_raw=$JOB_DIR/resolve
	if have getent; then
		RES_METHOD=getent
		bounded "$TS" getent ahosts "$1" >"$_raw" 2>&1
		_rc=$?
		if [ "$_rc" -eq 1 ]; then
			bounded "$TS" getent hosts "$1" >"$_raw" 2>&1
			_rc=$?
		fi
		if [ "$_rc" -eq 0 ]; then
			while read -r _a _rest; do
				is_ip "$_a" || continue
				case " $RES_ADDRS " in *" $_a "*) continue ;; esac
				RES_ADDRS="$RES_ADDRS${RES_ADDRS:+ }$_a"
			done <"$_raw"
		fi
		if [ -n "$RES_ADDRS" ]; then
			RES_STATUS=resolved
		elif killed "$_rc"; then
			RES_STATUS=timeout RES_ERROR='getent gave no answer in time'
		elif [ "$_rc" -eq 2 ] || [ "$_rc" -eq 0 ]; then
			RES_STATUS=resolve_failed RES_ERROR='getent: name not found'
		else
			RES_STATUS=error RES_ERROR="getent exit $_rc: $(last_line "$_raw")"
		fi
		return
	fi
	if have nslookup; then
		RES_METHOD=nslookup
		bounded "$TS" nslookup "$1" >"$_raw" 2>&1
		_rc=$?
		parse_nslookup "$_raw" "$_rc"
		for _a in $NS_ADDRS; do
			case " $RES_ADDRS " in *" $_a "*) continue ;; esac
			RES_ADDRS="$RES_ADDRS${RES_ADDRS:+ }$_a"
		done
		if [ -n "$RES_ADDRS" ]; then
			RES_STATUS=resolved
		elif [ "$NS_STATUS" = timeout ]; then
			RES_STATUS=timeout RES_ERROR='nslookup gave no answer in time'
		elif [ "$NS_STATUS" = answer ]; then
			RES_STATUS=resolve_failed RES_ERROR="nslookup: no address ($NS_RCODE)"
		else
			RES_STATUS=error RES_ERROR="nslookup: $NS_ERROR"
		fi
		return
	fi
	RES_STATUS=not_observable RES_ERROR='neither getent nor nslookup on this host'
}

resolve_fields() {
	# the resolve part of a tcp/tls/udp item, after resolve_name
	if [ "$RES_STATUS" = resolved ]; then
		printf ',"addresses":[%s]' "$(json_list "$RES_ADDRS")"
	elif [ "$RES_STATUS" = not_observable ]; then
		printf ',"status":"not_observable","reason":%s' "$(js "$RES_ERROR")"
	else
		printf ',"status":"%s","phase":"resolve","error":%s' "$RES_STATUS" "$(js "$RES_ERROR")"
	fi
	printf ',"resolve_method":"%s"' "$RES_METHOD"
}

json_list() {
	_jl=''
	for _x in $1; do
		_jl="$_jl${_jl:+,}$(js "$_x")"
	done
	printf '%s' "$_jl"
}

# ---------------------------------------------------------------- tcp

connect_error() {
	# status for a failed connect from the tool's own words; failed_indistinct if none
	case $1 in
	*'refused'* | *'Refused'*) CE_STATUS=refused ;;
	*'timed out'* | *'Timed out'* | *'timeout'*) CE_STATUS=timeout ;;
	*'No route to host'* | *'unreachable'* | *'Unreachable'* | *'Host is down'*) CE_STATUS=unreachable ;;
	*'not permitted'* | *'Permission denied'*) CE_STATUS=blocked_locally ;;
	*) CE_STATUS=failed_indistinct ;;
	esac
}

probe_tcp() {
	_t0=$(now_cs)
	printf '{"check":"%s","host":"%s","port":%s' "$1" "$2" "$3"
	if [ -z "$NC_MODE" ]; then
		printf ',"status":"not_observable","reason":"no usable nc (netcat) on this host"'
	else
		resolve_name "$2"
		resolve_fields
		[ "$RES_STATUS" = resolved ] && tcp_connect "${RES_ADDRS%% *}" "$3"
	fi
	printf ',"duration_s":%s}' "$(dur "$_t0")"
}

tcp_connect() {
	_raw=$JOB_DIR/nc
	_c0=$(now_cs)
	if [ "$NC_MODE" = exec ]; then
		bounded $((TS + 1)) nc -w "$TS" "$1" "$2" -e "$SH_PATH" -c "echo $CONNECTED_MARK >&2" \
			</dev/null >/dev/null 2>"$_raw"
	else
		bounded $((TS + 1)) nc -v -z -w "$TS" "$1" "$2" </dev/null >/dev/null 2>"$_raw"
	fi
	_rc=$?
	_err=$(last_line "$_raw")
	printf ',"address":%s,"tool":"nc","phase":"connect","connect_s":%s' "$(js "$1")" "$(dur "$_c0")"
	if [ "$NC_MODE" = exec ] && grep "$CONNECTED_MARK" "$_raw" >/dev/null 2>&1; then
		printf ',"status":"connected"'
	elif [ "$NC_MODE" = zero ] && [ "$_rc" -eq 0 ]; then
		printf ',"status":"connected"'
	elif killed "$_rc"; then
		printf ',"status":"timeout","error":"no connection within the timeout"'
	else
		connect_error "$_err"
		printf ',"status":"%s","error":%s,"exit_status":%s' "$CE_STATUS" "$(js "$_err")" "$_rc"
	fi
}

# ---------------------------------------------------------------- udp

probe_udp() {
	# no sh tool here can send a datagram and read its echo reliably: say so
	printf '{"check":"%s","host":"%s","port":%s,"status":"not_observable",' "$1" "$2" "$3"
	printf '"reason":"this host has no tool that sends a UDP datagram and reads the answer"}'
}

# ---------------------------------------------------------------- tls

probe_tls() {
	_t0=$(now_cs)
	printf '{"check":"%s","host":"%s","port":%s' "$1" "$2" "$3"
	if ! have openssl; then
		printf ',"status":"not_observable","reason":"no openssl on this host"'
	else
		resolve_name "$2"
		resolve_fields
		[ "$RES_STATUS" = resolved ] && tls_handshake "${RES_ADDRS%% *}" "$2" "$3"
	fi
	printf ',"duration_s":%s}' "$(dur "$_t0")"
}

tls_handshake() {
	_raw=$JOB_DIR/tls
	case $1 in *:*) _ep="[$1]:$3" ;; *) _ep="$1:$3" ;; esac
	bounded "$TS" openssl s_client -connect "$_ep" -servername "$2" -verify_hostname "$2" \
		</dev/null >"$_raw" 2>&1
	_rc=$?
	printf ',"address":%s,"tool":"openssl"' "$(js "$1")"
	_code=$(sed -En 's/^ *Verify return code: ([0-9]*).*/\1/p' "$_raw" | head -n 1)
	_msg=$(sed -En 's/^ *Verify return code: [0-9]* [(](.*)[)]/\1/p' "$_raw" | head -n 1)
	_issuer=$(dn_fields "$(sed -n 's/^issuer= *//p' "$_raw" | head -n 1)")
	if [ "$_code" = 0 ]; then
		printf ',"status":"verified","issuer":{%s}' "$_issuer"
	elif [ -n "$_code" ]; then
		printf ',"status":"verify_failed","phase":"handshake","verify_code":%s' "$_code"
		printf ',"verify_message":%s,"presented":{"issuer":{%s}}' "$(js "$_msg")" "$_issuer"
	elif killed "$_rc" && grep '^CONNECTED' "$_raw" >/dev/null 2>&1; then
		printf ',"status":"timeout","phase":"handshake","error":"no TLS handshake in time"'
	elif killed "$_rc"; then
		printf ',"status":"timeout","phase":"connect","error":"no connection within the timeout"'
	elif grep '^CONNECTED' "$_raw" >/dev/null 2>&1; then
		printf ',"status":"handshake_failed","phase":"handshake","error":%s' \
			"$(js "$(grep -i 'error' "$_raw" | head -n 1)")"
	else
		_err=$(grep -i -e 'connect' -e 'error' "$_raw" | head -n 1)
		connect_error "$_err"
		printf ',"status":"%s","phase":"connect","error":%s' "$CE_STATUS" "$(js "$_err")"
	fi
}

dn_fields() {
	# '"commonName":"..","organizationName":".."' from 'CN = x, O = y' or '/CN=x/O=y'
	_cn=$(printf '%s\n' "$1" | sed -En 's/.*CN *= *([^,/]*).*/\1/p')
	_org=$(printf '%s\n' "$1" | sed -En 's/.*[,/ ]O *= *([^,/]*).*/\1/p;s/^O *= *([^,/]*).*/\1/p')
	_sep=''
	if [ -n "$_cn" ]; then
		printf '"commonName":%s' "$(js "$_cn")"
		_sep=,
	fi
	[ -n "$_org" ] && printf '%s"organizationName":%s' "$_sep" "$(js "$_org")"
	return 0
}

# ---------------------------------------------------------------- dns

read_resolv_conf() {
	# RESOLVERS (first 3 nameserver lines, as glibc), RESOLV_PROBLEMS (JSON strings)
	RESOLVERS='' RESOLV_PROBLEMS='' _count=0 _no=0
	if [ ! -r "$PLAN_RESOLV_CONF" ]; then
		RESOLV_PROBLEMS="$(js "cannot read $PLAN_RESOLV_CONF")"
	else
		while read -r _k _v _rest || [ -n "$_k" ]; do
			_no=$((_no + 1))
			[ "$_k" = nameserver ] || continue
			if ! is_ip "${_v%%[%]*}"; then
				_p=$(js "line $_no: bad nameserver line")
			elif [ "$_count" -ge 3 ]; then
				_p=$(js "line $_no: ignored, only 3 nameservers are used")
			else
				RESOLVERS="$RESOLVERS${RESOLVERS:+ }$_v"
				_count=$((_count + 1))
				continue
			fi
			RESOLV_PROBLEMS="$RESOLV_PROBLEMS${RESOLV_PROBLEMS:+,}$_p"
		done <"$PLAN_RESOLV_CONF"
	fi
	[ -n "$RESOLVERS" ] ||
		RESOLV_PROBLEMS="$RESOLV_PROBLEMS${RESOLV_PROBLEMS:+,}\"no nameserver configured\""
}

add_record() {
	# add_record NAME TYPE VALUE [TTL] to NS_ANSWERS (JSON), NS_ADDRS for A/AAAA
	_name=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
	_name=${_name%.}
	_rec="{\"name\":$(js "$_name"),\"type\":\"$2\""
	case $4 in '' | *[!0-9]*) ;; *) _rec="$_rec,\"ttl\":$4" ;; esac
	if [ "$2" = CNAME ]; then
		_tgt=$(printf '%s' "$3" | tr 'A-Z' 'a-z')
		_rec="$_rec,\"target\":$(js "${_tgt%.}")}"
	else
		_rec="$_rec,\"address\":$(js "$3")}"
		is_ip "$3" && NS_ADDRS="$NS_ADDRS${NS_ADDRS:+ }$3"
	fi
	NS_COUNT=$((NS_COUNT + 1))
	[ "$NS_COUNT" -le 64 ] && NS_ANSWERS="$NS_ANSWERS${NS_ANSWERS:+,}$_rec"
}

tool_error() {
	# NS_STATUS/NS_ERROR for a query that got no DNS answer, from the tool's words
	NS_ERROR=$(last_line "$1")
	if killed "$2"; then
		NS_STATUS=timeout NS_ERROR='no answer in time'
		return
	fi
	_all=$(cat "$1")
	connect_error "$_all"
	NS_STATUS=$CE_STATUS
	case $CE_STATUS:$_all in
	*'ID mismatch'*) NS_STATUS=id_mismatch ;;
	failed_indistinct:*'no servers could be reached'*) NS_STATUS=timeout ;;
	failed_indistinct:*) NS_STATUS=error ;;
	esac
}

parse_nslookup() {
	# NS_STATUS answer|truncated|timeout|..., NS_RCODE, NS_ANSWERS, NS_ADDRS, NS_ERROR
	_pf=$1 _prc=$2
	NS_STATUS='' NS_RCODE='' NS_ANSWERS='' NS_ADDRS='' NS_ERROR='' NS_COUNT=0
	_cur=''
	while IFS= read -r _l || [ -n "$_l" ]; do
		case $_l in
		*'Truncated'*) NS_STATUS=truncated ;;
		*"server can't find "*': '*) NS_RCODE=${_l##*: } ;;
		*'canonical name = '*)
			set -- $_l
			add_record "$1" CNAME "${_l##*= }"
			;;
		Name:*)
			set -- $_l
			_cur=$2
			;;
		Address*:*)
			[ -n "$_cur" ] || continue
			_a=${_l#*: }
			set -- $_a
			case $1 in *:*) add_record "$_cur" AAAA "$1" ;; *) add_record "$_cur" A "$1" ;; esac
			;;
		esac
	done <"$1"
	[ -n "$NS_STATUS" ] && return
	case $NS_RCODE in
	NXDOMAIN | SERVFAIL | REFUSED | NOTIMP | FORMERR) NS_STATUS=answer ;;
	*'No answer'* | *'NODATA'*) NS_STATUS=answer NS_RCODE=NOERROR ;;
	'')
		if [ "$_prc" -eq 0 ] && grep -e '^Name:' -e 'answer:' "$_pf" >/dev/null 2>&1; then
			NS_STATUS=answer NS_RCODE=NOERROR
		else
			tool_error "$_pf" "$_prc"
		fi
		;;
	*) NS_STATUS=error NS_ERROR="nslookup: $NS_RCODE" NS_RCODE='' ;;
	esac
}

parse_dig() {
	_pf=$1 _prc=$2
	NS_STATUS='' NS_RCODE='' NS_ANSWERS='' NS_ADDRS='' NS_ERROR='' NS_COUNT=0
	_sect=''
	while IFS= read -r _l || [ -n "$_l" ]; do
		case $_l in
		*'->>HEADER<<-'*'status: '*)
			NS_RCODE=${_l#*status: }
			NS_RCODE=${NS_RCODE%%,*}
			NS_STATUS=answer
			;;
		';; flags:'*' tc'*';'*) NS_STATUS=truncated ;;
		';; ANSWER SECTION:'*) _sect=answer ;;
		';;'* | '') _sect='' ;;
		*)
			[ "$_sect" = answer ] || continue
			set -- $_l
			case $4 in A | AAAA | CNAME) add_record "$1" "$4" "$5" "$2" ;; esac
			;;
		esac
	done <"$1"
	[ -n "$NS_STATUS" ] || tool_error "$_pf" "$_prc"
}

probe_dns() {
	# probe_dns CHECK TRANSPORT RESOLVER NAME: one query, by dig or (UDP only) nslookup
	_t0=$(now_cs)
	printf '{"check":"%s","transport":"%s","resolver":"%s","name":"%s"' "$1" "$2" "$3" "$4"
	_raw=$JOB_DIR/dns
	if have dig; then
		_o='+notcp +ignore'
		[ "$2" = tcp ] && _o=+tcp
		bounded $((TS + 1)) dig $_o +time="$TS" +tries=1 +nosearch @"$3" "$4" A >"$_raw" 2>&1
		_rc=$?
		_tool=dig
		parse_dig "$_raw" "$_rc"
	elif [ "$2" = udp ] && have nslookup; then
		bounded "$TS" nslookup -type=a "$4" "$3" >"$_raw" 2>&1
		_rc=$?
		_tool=nslookup
		parse_nslookup "$_raw" "$_rc"
	else
		printf ',"status":"not_observable","reason":"no tool on this host sends DNS over %s"' "$2"
		printf ',"duration_s":%s}' "$(dur "$_t0")"
		return
	fi
	printf ',"tool":"%s","status":"%s"' "$_tool" "$NS_STATUS"
	case $NS_STATUS in
	answer | truncated)
		printf ',"rcode":%s,"truncated":%s' "$(js "${NS_RCODE:-NOERROR}")" \
			"$([ "$NS_STATUS" = truncated ] && echo true || echo false)"
		printf ',"answers":[%s]' "$NS_ANSWERS"
		;;
	*) printf ',"error":%s' "$(js "$NS_ERROR")" ;;
	esac
	printf ',"duration_s":%s}' "$(dur "$_t0")"
}

probe_dns_system() {
	_t0=$(now_cs)
	printf '{"check":"dns_system","name":"%s"' "$1"
	resolve_name "$1"
	printf ',"method":"%s"' "$RES_METHOD"
	case $RES_STATUS in
	resolved) printf ',"status":"resolved","addresses":[%s]' "$(json_list "$RES_ADDRS")" ;;
	not_observable) printf ',"status":"not_observable","reason":%s' "$(js "$RES_ERROR")" ;;
	*) printf ',"status":"%s","error":%s' "$RES_STATUS" "$(js "$RES_ERROR")" ;;
	esac
	printf ',"duration_s":%s}' "$(dur "$_t0")"
}

# ---------------------------------------------------------------- admin, teamviewer

sudo_try() {
	# sudo_try nopasswd|password: {"status":ok|needs_password|wrong_password|denied|timeout|error}
	_raw=$WORK/sudo.$1
	if [ "$1" = nopasswd ]; then
		bounded "$TS" sudo -n true </dev/null >"$_raw" 2>&1
	else
		# printf is a shell builtin: the password goes down a pipe, never into argv
		printf '%s\n' "$BECOME" | bounded "$TS" sudo -S -k -p '' true >"$_raw" 2>&1
	fi
	_rc=$?
	_text=$(last_line "$_raw")
	if [ "$_rc" -eq 0 ]; then
		_s=ok
	elif killed "$_rc"; then
		_s=timeout
	else
		case $(cat "$_raw") in
		*'incorrect password'* | *'Sorry, try again'*) _s=wrong_password ;;
		*'password is required'*) _s=needs_password ;;
		*'not in the sudoers'* | *'may not run sudo'* | *'not allowed'*) _s=denied ;;
		*) _s=error ;;
		esac
	fi
	[ -n "$BECOME" ] && case $_text in *"$BECOME"*) _text='(output withheld)' ;; esac
	printf '{"status":"%s","exit_status":%s,"error":%s}' "$_s" "$_rc" "$(js "$_text")"
	SUDO_LAST=$_s
}

admin_section() {
	# as the python payload's: uid/euid (id), user, and what sudo -n / sudo -S said
	printf '"admin":{"check":"admin","uid":%s,"euid":%s' "$RUID_NOW" "$UID_NOW"
	printf ',"user":%s,"become_password_given":%s' "$(js "$USER_NOW")" \
		"$([ -n "$BECOME" ] && echo true || echo false)"
	if [ "$UID_NOW" = 0 ]; then
		printf '}'
		return
	fi
	if ! have sudo; then
		printf ',"sudo_nopasswd":{"status":"absent","error":"no sudo on this host"}}'
		return
	fi
	printf ',"sudo_nopasswd":%s' "$(sudo_try nopasswd)"
	case $(cat "$WORK/sudo.nopasswd" 2>/dev/null) in *'password is required'*) _need=1 ;; *) _need='' ;; esac
	[ -n "$_need" ] && [ -n "$BECOME" ] && printf ',"sudo_password":%s' "$(sudo_try password)"
	printf '}'
}

teamviewer_section() {
	# as the python payload's, with what sh can see: packages, binaries, /proc, config files
	printf '"teamviewer":{"check":"teamviewer","packages":%s' "$(tv_packages)"
	printf ',"binaries":['
	_sep=''
	for _b in /opt/teamviewer/tv_bin/teamviewerd /opt/teamviewer/tv_bin/TeamViewer; do
		[ -f "$_b" ] && printf '%s"%s"' "$_sep" "$_b" && _sep=,
	done
	printf '],"service":%s,"config":[' "$(tv_service)"
	_sep=''
	for _p in /etc/teamviewer/global.conf /opt/teamviewer/config/global.conf; do
		printf '%s{"path":"%s","exists":%s' "$_sep" "$_p" "$([ -e "$_p" ] && echo true || echo false)"
		if [ -r "$_p" ] && [ -f "$_p" ]; then
			_id=$(sed -En 's/^ *[[] *[a-z0-9]* *[]] *ClientID *= *([0-9][0-9]*).*/\1/p' "$_p" | head -n 1)
			_ver=$(sed -En 's/^ *[[] *[a-z0-9]* *[]] *Version *= *"*([0-9.]*).*/\1/p' "$_p" | head -n 1)
			_mid=$(sed -En 's/^ *[[] *[a-z0-9]* *[]] *DeviceManagementV2[\\]ManagementId *= *"*([^"]*).*/\1/p' "$_p" | head -n 1)
			_unm=$(sed -En 's/^ *[[] *[a-z0-9]* *[]] *DeviceManagementV2[\\]Unmanaged *= *"*([0-9]*).*/\1/p' "$_p" | head -n 1)
			case "$_unm" in '') _unm=null ;; 0) _unm=false ;; *) _unm=true ;; esac
			[ -n "$_mid" ] && _mid=$(js "$_mid") || _mid=null
			printf ',"readable":true,"via":"direct","client_id":%s,"version":%s' \
				"$(js "$_id")" "$(js "$_ver")"
			printf ',"management_id":%s,"unmanaged":%s' "$_mid" "$_unm"
		else
			printf ',"readable":false,"via":null'
		fi
		printf '}'
		_sep=,
	done
	printf '],"info":{"status":"not_observed"}}'
}

tv_packages() {
	if have dpkg-query; then
		_o=$(bounded "$TS" dpkg-query -W -f='${Package} ${Status} ${Version}\n' teamviewer-host teamviewer 2>/dev/null)
		_inst=''
		for _pkg in teamviewer-host teamviewer; do
			_v=$(printf '%s\n' "$_o" | sed -En "s/^$_pkg"' .* installed ([^ ]*)$/\1/p' | head -n 1)
			[ -n "$_v" ] && _inst="$_inst${_inst:+,}\"$_pkg\":$(js "$_v")"
		done
		printf '{"manager":"dpkg","status":"ok","installed":{%s}}' "$_inst"
	else
		printf '{"manager":null,"status":"no_manager","installed":{}}'
	fi
}

tv_service() {
	# teamviewerd in the process table: /proc/*/comm (no /proc, e.g. a chroot: unknown)
	_pids='' _seen=0
	set +f
	for _c in /proc/[0-9]*/comm; do
		[ -r "$_c" ] || continue
		_seen=1
		read -r _n <"$_c" 2>/dev/null || continue
		[ "$_n" = teamviewerd ] || continue
		_pid=${_c#/proc/}
		_pids="$_pids${_pids:+,}${_pid%/comm}"
	done
	set -f
	if [ "$_seen" = 0 ]; then
		printf '{"pids":[],"process_table":false,"complete":false,"method":"proc","running":null}'
	else
		printf '{"pids":[%s],"process_table":true,"complete":%s,"method":"proc","running":%s}' \
			"$_pids" "$([ "$UID_NOW" = 0 ] && echo true || echo false)" \
			"$([ -n "$_pids" ] && echo true || echo false)"
	fi
}

# ---------------------------------------------------------------- run

start_job() {
	# start_job FILE FUNCTION ARGS...: FUNCTION's item goes to $WORK/FILE.out
	_jf=$1
	shift
	JOBS=$((JOBS + 1))
	if [ "$JOBS" -gt "$MAX_PROBES" ]; then
		CUT=$((CUT + 1))
		return
	fi
	printf '%s' "$*" >"$WORK/$_jf.spec"
	mkdir "$WORK/$_jf.d"
	(
		JOB_DIR=$WORK/$_jf.d
		"$@" >"$WORK/$_jf.tmp" && mv "$WORK/$_jf.tmp" "$WORK/$_jf.out"
	) </dev/null >/dev/null 2>&1 &
	PIDS="$PIDS $!"
}

start_all() {
	JOBS=0 CUT=0 _i=0
	printf '%s\n' "$PLAN_TCP" >"$WORK/plan.tcp"
	while read -r _c _h _p; do
		[ -n "$_c" ] && _i=$((_i + 1)) && start_job "$(printf 't.%03d' $_i)" probe_tcp "$_c" "$_h" "$_p"
	done <"$WORK/plan.tcp"
	printf '%s\n' "$PLAN_UDP" >"$WORK/plan.udp"
	while read -r _c _h _p; do
		[ -n "$_c" ] && _i=$((_i + 1)) && start_job "$(printf 'u.%03d' $_i)" probe_udp "$_c" "$_h" "$_p"
	done <"$WORK/plan.udp"
	printf '%s\n' "$PLAN_TLS" >"$WORK/plan.tls"
	while read -r _c _h _p; do
		[ -n "$_c" ] && _i=$((_i + 1)) && start_job "$(printf 's.%03d' $_i)" probe_tls "$_c" "$_h" "$_p"
	done <"$WORK/plan.tls"
	for _c in $PLAN_DNS_CHECKS; do
		_tr=udp
		case " $PLAN_DNS_TCP " in *" $_c "*) _tr=tcp ;; esac
		for _r in $RESOLVERS; do
			for _n in $PLAN_DNS_NAMES; do
				_i=$((_i + 1))
				start_job "$(printf 'q.%03d' $_i)" probe_dns "$_c" "$_tr" "$_r" "$_n"
			done
		done
	done
	for _n in $PLAN_DNS_SYSTEM_NAMES; do
		_i=$((_i + 1))
		start_job "$(printf 'y.%03d' $_i)" probe_dns_system "$_n"
	done
}

all_done() {
	set +f
	for _s in "$WORK"/*.spec; do
		[ -e "$_s" ] || continue
		[ -e "${_s%.spec}.out" ] || {
			set -f
			return 1
		}
	done
	set -f
	return 0
}

wait_jobs() {
	# until every job wrote its item, or the stop time (deadline minus min(1 s, 10 %))
	_margin=$((PLAN_DEADLINE_CS / 10))
	[ "$_margin" -le 100 ] || _margin=100
	_stop=$((START_CS + PLAN_DEADLINE_CS - _margin))
	_tick=1
	sleep 0.1 2>/dev/null && _tick=0.1
	_n=0
	while [ "$_n" -lt $((PLAN_DEADLINE_CS / 10 + 20)) ]; do
		all_done && return
		[ "$(now_cs)" -lt "$_stop" ] || return
		sleep "$_tick"
		_n=$((_n + 1))
	done
}

items() {
	# items PREFIX: the finished items, or deadline timeouts for unfinished ones
	_sep=''
	set +f
	for _s in "$WORK"/"$1".*.spec; do
		[ -e "$_s" ] || continue
		printf '%s' "$_sep"
		_sep=,
		if [ -e "${_s%.spec}.out" ]; then
			cat "${_s%.spec}.out"
		else
			unfinished "$(cat "$_s")"
		fi
	done
	set -f
}

unfinished() {
	set -- $1
	case $1 in
	probe_dns) printf '{"check":"%s","transport":"%s","resolver":"%s","name":"%s"' "$2" "$3" "$4" "$5" ;;
	probe_dns_system) printf '{"check":"dns_system","name":"%s"' "$2" ;;
	*) printf '{"check":"%s","host":"%s","port":%s' "$2" "$3" "$4" ;;
	esac
	printf ',"status":"timeout","phase":"deadline","error":"did not finish before the payload deadline"}'
}

document() {
	printf '{"observations_version":1,"payload":"sh","plan_version":%s' "${PLAN_VERSION:-null}"
	printf ',"started_at":"%s","hostname":%s' "$STARTED_AT" "$(js "$(uname -n 2>/dev/null)")"
	printf ',"platform":%s,"uid":%s' "$(js "$(uname -srm 2>/dev/null)")" "${UID_NOW:-null}"
	printf ',"user":%s,"tools":[%s]' "$(js "$USER_NOW")" "$TOOLS"
	if [ -n "$PLAN_ERROR" ]; then
		printf ',"error":%s' "$(js "$PLAN_ERROR")"
	else
		sections
	fi
	printf ',"duration_s":%s}\n' "$(dur "$START_CS")"
}

sections() {
	[ -n "$PLAN_HAS_TCP" ] && printf ',"tcp":[%s]' "$(items t)"
	[ -n "$PLAN_HAS_UDP" ] && printf ',"udp":[%s]' "$(items u)"
	[ -n "$PLAN_HAS_TLS" ] && printf ',"tls":[%s]' "$(items s)"
	if [ -n "$PLAN_DNS_CHECKS" ]; then
		printf ',"dns":{"resolv_conf":"%s","resolvers":[%s]' "$PLAN_RESOLV_CONF" "$(json_list "$RESOLVERS")"
		printf ',"problems":[%s],"checks":[%s]' "$RESOLV_PROBLEMS" "$(json_list "$PLAN_DNS_CHECKS")"
		printf ',"queries":[%s]}' "$(items q)"
	fi
	[ -n "$PLAN_HAS_DNS_SYSTEM" ] &&
		printf ',"dns_system":{"check":"dns_system","results":[%s]}' "$(items y)"
	[ -n "$PLAN_ADMIN" ] && printf ',%s' "$(admin_section)"
	[ -n "$PLAN_TEAMVIEWER" ] && printf ',%s' "$(teamviewer_section)"
	[ "$CUT" -gt 0 ] && printf ',"problems":["plan asks for %s probes, only %s run"]' "$JOBS" "$MAX_PROBES"
	return 0
}

main() {
	LC_ALL=C
	export LC_ALL
	set -f
	START_CS=$(now_cs)
	STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	UID_NOW=$(id -u 2>/dev/null)
	RUID_NOW=$(id -ru 2>/dev/null)
	USER_NOW=$(id -un 2>/dev/null)
	case $UID_NOW in '' | *[!0-9]*) UID_NOW=null ;; esac
	case $RUID_NOW in '' | *[!0-9]*) RUID_NOW=$UID_NOW ;; esac
	PIDS='' CUT=0 JOBS=0 PLAN_ERROR=''
	[ -z "$PLAN_VERSION" ] && [ -n "$1" ] && [ -r "$1" ] && . "$1" # manual: sh host_probe.sh plan.env
	detect_tools
	WORK=$(mktemp -d 2>/dev/null || mktemp -d -t auditor.XXXXXX 2>/dev/null)
	if [ "$PLAN_VERSION" != 2 ]; then
		PLAN_ERROR='bad plan: unsupported plan (plan_version must be 2)'
	elif [ -z "$WORK" ] || [ ! -d "$WORK" ]; then
		PLAN_ERROR='no writable temporary directory (mktemp -d failed)'
	else
		TS=$PLAN_TIMEOUT_S
		[ -n "$PLAN_DNS_CHECKS" ] && read_resolv_conf
		start_all
		wait_jobs
	fi
	_doc=$(document)
	printf '%s\n%s\n%s\n' "$BEGIN" "$_doc" "$END"
	for _p in $PIDS; do kill "$_p" >/dev/null 2>&1; done
	[ -n "$WORK" ] && [ -d "$WORK" ] && rm -rf "$WORK"
	return 0
}

main "$@" </dev/null
exit 0
