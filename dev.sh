#!/usr/bin/env bash
# Rebound's one entry script. `./dev.sh run` and `./dev.sh test` are the README's two commands:
# each installs what is missing (Debian 12 packages, only when absent), builds, and then runs
# the console or every test.
set -euo pipefail
cd "$(dirname "$0")"

JOBS=${JOBS:-2}
# Everything a fresh minimal Debian 12 needs (checked by `./dev.sh fresh`). Installs use
# --no-install-recommends, so what a package only recommends is named here: libqt6opengl6-dev
# (Qt6Charts' CMake package needs Qt6OpenGL's), fonts (the console shows no text without one),
# and promtool (prometheus) for the metrics check; etcd-server is the fleet's config centre and
# redis-server holds its shared retry budget (the fleet tests start both on loopback ports);
# libhiredis-dev is the Redis client, with its Qt adapter.
PACKAGES=(
    cmake g++ make pkg-config clang-14 libclang-rt-14-dev
    qt6-base-dev libqt6opengl6-dev qt6-charts-dev qtkeychain-qt6-dev libsqlite3-dev
    qt6-httpserver-dev qt6-websockets-dev
    libqt6svg6 dbus-daemon gnome-keyring xvfb xauth sqlite3 fonts-dejavu-core
    prometheus etcd-server redis-server libhiredis-dev
)
# The contract checkers (Stoplight Prism, Redocly CLI) are npm packages pinned in
# tests/conformance/package-lock.json and installed into this git-ignored folder; Node comes
# from Debian (18.20 on Debian 12; Prism 5.14 needs >= 18.20.1).
NODE_TOOLS=.cache/node-tools
NODE_MIN=18.20.1

node_ok() {
    command -v node >/dev/null && command -v npm >/dev/null &&
        node -e "const [a,b,c]=process.versions.node.split('.').map(Number),[x,y,z]='$NODE_MIN'.split('.').map(Number);process.exit(a!==x?(a>x?0:1):b!==y?(b>y?0:1):(c>=z?0:1))"
}

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$p")
        fi
    done
    # A Node that is new enough may come from elsewhere (e.g. NodeSource, which conflicts with
    # Debian's npm package): use it rather than fight it.
    node_ok || missing+=(nodejs npm)
    if [ ${#missing[@]} -eq 0 ]; then
        echo "dev.sh: all packages present"
        return
    fi
    echo "dev.sh: installing ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    node_ok || { echo "dev.sh: Node >= $NODE_MIN with npm is needed" >&2; exit 1; }
}

install_node_tools() {
    if [ -x "$NODE_TOOLS/node_modules/.bin/prism" ] && [ -x "$NODE_TOOLS/node_modules/.bin/redocly" ] &&
        cmp -s tests/conformance/package-lock.json "$NODE_TOOLS/package-lock.json"; then
        return
    fi
    echo "dev.sh: installing the pinned contract checkers into $NODE_TOOLS"
    rm -rf "$NODE_TOOLS"
    mkdir -p "$NODE_TOOLS"
    cp tests/conformance/package.json tests/conformance/package-lock.json "$NODE_TOOLS/"
    # No install scripts: none is needed, and one of them would phone home.
    (cd "$NODE_TOOLS" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
}

build() { # build <dir> [cmake args...]
    local dir=$1
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
    cmake --build "$dir" -j "$JOBS"
}

# Runs a command inside a private D-Bus session with an unlocked, throw-away keyring, so tests
# that use QtKeychain never touch (or depend on) the user's real one.
with_test_session() {
    local tmp
    tmp=$(mktemp -d)
    mkdir -p "$tmp/home" "$tmp/runtime"
    chmod 700 "$tmp/runtime"
    local rc=0
    HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/runtime" QT_QPA_PLATFORM=offscreen \
        dbus-run-session -- sh -c 'printf throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$@"' sh "$@" || rc=$?
    rm -rf "$tmp"
    return $rc
}

run_tests() { # run_tests <dir>
    with_test_session ctest --test-dir "$1" --output-on-failure -j "$JOBS" --timeout 300
}

case "${1:-}" in
run)
    shift
    install_missing
    build build
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
        echo "dev.sh: no display found; running the console in a virtual X server (xvfb-run) for 10 s"
        exec xvfb-run -a build/app/rebound --demo --quit-after-ms 10000 "$@"
    fi
    exec build/app/rebound --demo "$@"
    ;;
test)
    install_missing
    install_node_tools
    # The full build (with the contract checks against Prism and promtool), then a core-only
    # build that must not need Widgets or Charts at all.
    build build -DREBOUND_BUILD_UI=ON -DREBOUND_CONFORMANCE=ON -DREBOUND_NODE_TOOLS="$PWD/$NODE_TOOLS"
    build build-noui -DREBOUND_BUILD_UI=OFF -DREBOUND_BUILD_BENCHMARKS=OFF -DREBOUND_CONFORMANCE=OFF
    run_tests build
    run_tests build-noui
    echo "dev.sh: all tests passed (UI on and off)"
    ;;
fresh)
    # A command (default: the test command, verbatim) in a fresh minimal Debian 12 root: what a
    # new user's machine has. Needs root (sudo is used otherwise) and Debian's archive.
    # REBOUND_KEEP_FRESH_ROOT=1 keeps the root afterwards, to look inside.
    if [ "$(id -u)" -ne 0 ]; then
        exec sudo "$0" "$@"
    fi
    inside=${2:-./dev.sh test}
    command -v mmdebstrap >/dev/null || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap
    }
    root=$(mktemp -d /var/tmp/rebound-fresh.XXXXXX)
    cleanup() {
        for m in dev/shm dev/pts proc; do
            mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
        done
        if [ "${REBOUND_KEEP_FRESH_ROOT:-0}" = 1 ]; then
            echo "dev.sh: the fresh root stays at $root"
        else
            rm -rf --one-file-system "$root"
        fi
    }
    trap cleanup EXIT
    trap 'exit 130' INT # the EXIT trap cleans up after a signal too
    trap 'exit 143' TERM
    t0=$(date +%s)
    mmdebstrap --variant=minbase --include=ca-certificates bookworm "$root" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main" </dev/null
    # The network is part of the machine: a CA the host trusts (such as a TLS-inspecting
    # gateway's in front of the npm registry) is trusted inside as well.
    cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/ca-certificates/host-trust.crt"
    chroot "$root" update-ca-certificates >/dev/null 2>&1
    t1=$(date +%s)
    # A copy of the checkout as it is (uncommitted changes too), without build output.
    mkdir "$root/src"
    if git rev-parse --git-dir >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard |
            tar --null --ignore-failed-read -T - -cf - | tar -xf - -C "$root/src"
    else
        tar --exclude='./build*' --exclude=./.cache --exclude=./.git -cf - . | tar -xf - -C "$root/src"
    fi
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc"
    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
    mount -t tmpfs tmpfs "$root/dev/shm"
    status=0
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 JOBS="$JOBS" \
        sh -c "cd /src && $inside" || status=$?
    t2=$(date +%s)
    echo "dev.sh: fresh root $((t1 - t0)) s, '$inside' in it $((t2 - t1)) s: exit $status"
    exit $status
    ;;
fleet-demo)
    # The fleet on this machine: a local etcd (data on tmpfs) and Redis, rebound-taskd with a
    # stream of generated tasks, three headless members and the console in fleet mode all
    # watching it, sharing its tasks by shard and their retry budgets through Redis. All take
    # their policies from etcd; everything stops with the console (or after 20 s without a
    # display).
    shift
    install_missing
    build build
    demo=$(mktemp -d /dev/shm/rebound-fleet-demo.XXXXXX 2>/dev/null || mktemp -d)
    pids=()
    stop_demo() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        rm -rf "$demo"
    }
    trap stop_demo EXIT
    free_port() { # a loopback port nothing answers on
        local p
        while :; do
            p=$((20000 + RANDOM % 40000))
            (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
        done
    }
    ec=$(free_port)
    ep=$(free_port)
    etcd_url="http://127.0.0.1:$ec"
    etcd --name demo --data-dir "$demo/etcd" --listen-client-urls "$etcd_url" \
        --advertise-client-urls "$etcd_url" --listen-peer-urls "http://127.0.0.1:$ep" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ep" \
        --initial-cluster "demo=http://127.0.0.1:$ep" \
        --experimental-watch-progress-notify-interval 5s >"$demo/etcd.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 150); do
        build/app/reboundctl fleet status --etcd "$etcd_url" >/dev/null 2>&1 && break
        sleep 0.1
    done
    rp=$(free_port)
    redis_url="redis://127.0.0.1:$rp"
    # A password made for this run, in a file only this user reads (never an argument), handed to
    # the members in REBOUND_REDIS_PASSWORD: the demo shows Redis's AUTH, and no member needs to
    # ask a keychain for it.
    redis_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    (umask 077 && printf 'requirepass %s\n' "$redis_password" >"$demo/redis.conf")
    redis-server "$demo/redis.conf" --port "$rp" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$demo" >"$demo/redis.log" 2>&1 &
    pids+=($!)
    build/app/reboundctl policy publish resources/demo/policies.json --etcd "$etcd_url"
    REBOUND_TASKD_TOKEN=fleet-demo build/app/rebound-taskd --listen 127.0.0.1:0 --generate 2 \
        >"$demo/taskd.log" 2>"$demo/taskd.err" &
    pids+=($!)
    for _ in $(seq 100); do
        grep -q listening "$demo/taskd.log" 2>/dev/null && break
        sleep 0.1
    done
    taskd_url=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$demo/taskd.log" | head -n 1)
    for i in 1 2 3; do
        REBOUND_TOKEN=fleet-demo REBOUND_REDIS_PASSWORD=$redis_password \
            build/app/reboundctl watch --url "$taskd_url" --etcd "$etcd_url" \
            --redis "$redis_url" --member "watch-$i" --db "$demo/watch-$i.sqlite" \
            >"$demo/watch-$i.log" 2>&1 &
        pids+=($!)
    done
    echo "dev.sh: etcd $etcd_url, redis $redis_url, taskd $taskd_url, members watch-1..3 (logs in $demo)"
    echo "dev.sh: try  build/app/reboundctl fleet status --etcd $etcd_url"
    echo "dev.sh: and  build/app/reboundctl policy publish FILE --etcd $etcd_url"
    # Exported, not through `env`: xvfb-run's own arguments would show them as long as it runs.
    export REBOUND_TOKEN=fleet-demo REBOUND_REDIS_PASSWORD="$redis_password"
    console=(build/app/rebound --url "$taskd_url" --etcd "$etcd_url"
        --redis "$redis_url" --member console --db "$demo/console.sqlite" "$@")
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
        echo "dev.sh: no display found; the console runs in a virtual X server for 20 s"
        xvfb-run -a "${console[@]}" --quit-after-ms 20000 || true
    else
        "${console[@]}" || true
    fi
    build/app/reboundctl fleet status --etcd "$etcd_url"
    ;;
sanitize)
    # The whole suite once more, built with AddressSanitizer + UndefinedBehaviorSanitizer.
    install_missing
    build build-asan -DREBOUND_SANITIZE=ON -DREBOUND_BUILD_BENCHMARKS=OFF
    # Leaks are reported by LeakSanitizer runs (see README), not here: Qt's plugin loader keeps
    # allocations until exit by design and would drown real findings.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_tests build-asan
    echo "dev.sh: sanitizer run clean"
    ;;
fuzz)
    # Each libFuzzer target (or those named after SECONDS) for ${2:-60} seconds from its
    # checked-in seed corpus.
    install_missing
    seconds=${2:-60}
    targets="${*:3}"
    targets=${targets:-taskjson problem retryafter traceparent policy grpc csv watch etcd}
    cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
        -DREBOUND_FUZZ=ON -DREBOUND_BUILD_UI=OFF -DREBOUND_BUILD_TESTS=OFF -DREBOUND_BUILD_BENCHMARKS=OFF
    cmake --build build-fuzz -j "$JOBS"
    for target in $targets; do
        work=$(mktemp -d)
        echo "dev.sh: fuzzing $target for ${seconds}s"
        status=0
        ASAN_OPTIONS=detect_leaks=0 build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 -artifact_prefix="build-fuzz/crash-$target-" "$work" "tests/fuzz/corpus/$target" \
            > "build-fuzz/fuzz_$target.log" 2>&1 || status=$?
        grep -E '^(Done [0-9]+ runs|==[0-9]+==ERROR|SUMMARY)' "build-fuzz/fuzz_$target.log" || true
        rm -rf "$work"
        if [ "$status" -ne 0 ]; then
            echo "dev.sh: fuzz_$target found a crash (see build-fuzz/crash-$target-*)" >&2
            exit 1
        fi
    done
    echo "dev.sh: no fuzzer found a crash"
    ;;
*)
    echo "usage: ./dev.sh run|test|fresh [COMMAND]|sanitize|fuzz [SECONDS [TARGET...]]|fleet-demo" >&2
    exit 2
    ;;
esac
