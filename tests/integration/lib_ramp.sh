# SPDX-License-Identifier: MIT
# tests/integration/lib_ramp.sh - checks of `devplane-flood --ramp`
# reports shared by test_flood_ramp.sh and test_xdp_flood_ramp.sh
# (sourced, not run). The sourcing script defines fail() and sets RATES
# (the schedule) and PINGS (legitimate pings per step, +-10 %); its steps
# last 1 s.

# kv LINE KEY: the value of KEY=... in LINE.
kv() {
	local w
	for w in $1; do
		[ "${w%%=*}" = "$2" ] && { echo "${w#*=}"; return 0; }
	done
	return 1
}

NUM='[0-9]+'
MS='([0-9]+\.[0-9]{3}|none)'
STEP_RE="^ramp_step step=$NUM asked_pps=$NUM achieved_pps=$NUM junk_sent=$NUM"
STEP_RE+=" legit_sent=$NUM legit_answered=$NUM answered_pct=$NUM\.[0-9]{2}"
STEP_RE+=" p50_ms=$MS p99_ms=$MS verdict=(ok|below|sender-limited)\$"
PPS='([0-9]+|none)'
END_RE="^ramp_end result=(knee|no-knee) knee_pps=([0-9]+|none|not-reached)"
END_RE+=" knee_achieved_pps=$PPS highest_ok_pps=$PPS below_pps=$PPS"
END_RE+=" stop=(below|sender-limited|ramp-max|max-steps|interrupted)"
END_RE+=" steps=$NUM threshold=[0-9.]+ late_pongs=$NUM\$"

# check_lines OUT: the shape of a ramp's report, whatever the node did:
# step lines in order with the scheduled rates and consistent numbers,
# then one end line that agrees with them. Sets NSTEPS, JUNK (sum of
# junk_sent), END (the end line), STEP0 and LAST (step lines).
check_lines() {
	local f=$1 line k=0 prev_ok=none last_v= sent ans pct junk got
	NSTEPS=0 JUNK=0 END= STEP0= LAST=
	while IFS= read -r line; do
		[ -z "$END" ] || fail "a line after ramp_end: $line"
		if [[ $line == ramp_end* ]]; then
			[[ $line =~ $END_RE ]] || fail "malformed: $line"
			END=$line
			continue
		fi
		[[ $line =~ $STEP_RE ]] || fail "malformed: $line"
		[ "$k" -lt ${#RATES[@]} ] || fail "more steps than scheduled"
		[ "$(kv "$line" step)" = "$k" ] || fail "step $k out of order: $line"
		[ "$(kv "$line" asked_pps)" = "${RATES[$k]}" ] ||
			fail "step $k asked $(kv "$line" asked_pps), not ${RATES[$k]}"
		sent=$(kv "$line" legit_sent) ans=$(kv "$line" legit_answered)
		pct=$(kv "$line" answered_pct) junk=$(kv "$line" junk_sent)
		got=$(kv "$line" achieved_pps)
		# PINGS a step, the send loop's 1 ms ticks apart.
		[ "$sent" -ge $((PINGS * 9 / 10)) ] &&
			[ "$sent" -le $((PINGS * 11 / 10)) ] ||
			fail "step $k: $sent pings sent, want about $PINGS"
		[ "$ans" -le "$sent" ] || fail "step $k: $ans answered > $sent sent"
		[ "${pct/./}" -eq $((ans * 10000 / sent)) ] ||
			fail "step $k: answered_pct $pct for $ans of $sent"
		[ "$got" -eq "$junk" ] || fail "step $k: achieved $got for $junk in 1 s"
		if [ "$ans" = 0 ]; then
			[ "$(kv "$line" p50_ms)" = none ] ||
				fail "step $k: a latency without answers"
		fi
		last_v=$(kv "$line" verdict)
		[ "$last_v" = ok ] && prev_ok=${RATES[$k]}
		[ "$k" = 0 ] && STEP0=$line
		LAST=$line JUNK=$((JUNK + junk)) k=$((k + 1))
	done <"$f"
	NSTEPS=$k
	[ -n "$END" ] || fail "no ramp_end line"
	[ "$NSTEPS" -ge 1 ] || fail "no ramp_step line"
	[ "$(kv "$END" steps)" = "$NSTEPS" ] ||
		fail "ramp_end counts $(kv "$END" steps) steps, $NSTEPS printed"
	[ "$(kv "$END" highest_ok_pps)" = "$prev_ok" ] ||
		fail "highest_ok_pps $(kv "$END" highest_ok_pps), steps say $prev_ok"
	case "$last_v" in
	below)
		[ "$(kv "$END" result)" = knee ] &&
			[ "$(kv "$END" stop)" = below ] &&
			[ "$(kv "$END" knee_pps)" = "$prev_ok" ] &&
			[ "$(kv "$END" below_pps)" = "$(kv "$LAST" asked_pps)" ] ||
			fail "last step below, but: $END" ;;
	ok)
		[ "$NSTEPS" = ${#RATES[@]} ] || fail "stopped after a passing step"
		[ "$(kv "$END" result)" = no-knee ] &&
			[ "$(kv "$END" knee_pps)" = not-reached ] &&
			[ "$(kv "$END" stop)" = ramp-max ] ||
			fail "every step passed, but: $END" ;;
	sender-limited)
		[ "$(kv "$END" stop)" = sender-limited ] ||
			fail "sender-limited, but: $END" ;;
	esac
}
