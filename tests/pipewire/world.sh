# SPDX-License-Identifier: GPL-3.0-or-later
# A private PipeWire world for tests and benchmarks (sourced, not run; by
# tests/pipewire/run.sh and bench/idle_cpu.sh): a fresh XDG_RUNTIME_DIR
# (the daemon's socket), config, state and data dirs (no user config is
# read, nothing is written to $HOME), a private D-Bus session bus, and
# pipewire and wireplumber run as the current user (no systemd; root is
# fine). wireplumber opens none of the machine's sound cards, cameras or
# Bluetooth devices (on a desktop, the user's own session owns them): only
# its linking policy runs. Everything started here is stopped, and the
# temp dir removed, on any exit.
#
#   pw_world_init PREFIX   the temp dir ($tmp, /tmp/PREFIX.XXXXXX), the
#                          environment, the wireplumber config, the exit trap
#   pw_world_start         the bus, pipewire, wireplumber; returns once
#                          wireplumber is ready, or 1 with pw_world_error set
#   pids+=(PID)            more background processes to stop on exit
# Sets tmp, pids, dbus_pid, pw_pid, wp_pid. Helpers: wait_for SECONDS
# COMMAND... (polls until it succeeds), not_running PID.

# waits up to $1 seconds for the command after it to succeed
wait_for() {
    local deadline=$(($(date +%s%N) + $1 * 1000000000))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -ge "$deadline" ] && return 1
        sleep 0.05
    done
}
not_running() {
    local st
    st=$(sed "s/.*) //" "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -z "$st" ] || [ "$st" = Z ]
}

pw_world_cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait_for 3 not_running "$p" || kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [ -n "$dbus_pid" ] && kill -TERM "$dbus_pid" 2>/dev/null
    rm -rf "$tmp"
}

pw_world_init() {
    tmp=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 700 "$tmp"
    pids=()
    dbus_pid="" pw_pid="" wp_pid=""
    trap pw_world_cleanup EXIT
    trap 'exit 130' INT TERM
    export XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state
    export XDG_DATA_HOME=$tmp/data
    mkdir -m 700 "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_DATA_HOME"
    unset PIPEWIRE_REMOTE PIPEWIRE_NODE PIPEWIRE_RUNTIME_DIR DISPLAY WAYLAND_DISPLAY
    # wireplumber reads its user config dir after /usr/share's
    mkdir -p "$XDG_CONFIG_HOME/wireplumber/main.lua.d" "$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d"
    printf '%s\n' 'alsa_monitor.enabled = false' 'v4l2_monitor.enabled = false' \
        'libcamera_monitor.enabled = false' \
        >"$XDG_CONFIG_HOME/wireplumber/main.lua.d/51-backdrop-test.lua"
    echo 'bluez_monitor.enabled = false' \
        >"$XDG_CONFIG_HOME/wireplumber/bluetooth.lua.d/51-backdrop-test.lua"
}

pw_world_start() {
    pw_world_error=""
    export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus
    dbus_pid=$(dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --fork --nopidfile \
        --print-pid=1 2>"$tmp/dbus.log")
    pipewire >"$tmp/pipewire.log" 2>&1 &
    pw_pid=$!
    pids+=("$pw_pid")
    if ! wait_for 10 pw-cli info 0; then
        pw_world_error="pipewire does not answer 'pw-cli info 0' after 10 s: $(tail -3 "$tmp/pipewire.log")"
        return 1
    fi
    wireplumber >"$tmp/wireplumber.log" 2>&1 &
    wp_pid=$!
    pids+=("$wp_pid")
    # wireplumber is ready once its "default" metadata exists
    if ! wait_for 10 sh -c 'pw-cli ls Metadata | grep -q "metadata.name = \"default\""'; then
        pw_world_error="wireplumber not ready after 10 s: $(tail -3 "$tmp/wireplumber.log")"
        return 1
    fi
}
