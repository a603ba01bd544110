#!/usr/bin/env bash
# Rebound's one entry script. `./dev.sh run` and `./dev.sh test` are the README's two commands:
# each installs what is missing (Debian 12 packages, only when absent), builds, and then runs
# the console or every test.
set -euo pipefail
cd "$(dirname "$0")"

JOBS=${JOBS:-2}
PACKAGES=(
    cmake g++ make pkg-config clang-14 libclang-rt-14-dev
    qt6-base-dev qt6-charts-dev qtkeychain-qt6-dev libqt6sql6-sqlite
    qt6-httpserver-dev qt6-websockets-dev
    libqt6svg6 dbus-daemon gnome-keyring xvfb xauth sqlite3
)

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "dev.sh: all packages present"
        return
    fi
    echo "dev.sh: installing ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
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
    # The full build, then a core-only build that must not need Widgets or Charts at all.
    build build -DREBOUND_BUILD_UI=ON
    build build-noui -DREBOUND_BUILD_UI=OFF -DREBOUND_BUILD_BENCHMARKS=OFF
    run_tests build
    run_tests build-noui
    echo "dev.sh: all tests passed (UI on and off)"
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
    targets=${targets:-taskjson problem retryafter traceparent policy grpc csv}
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
    echo "usage: ./dev.sh run|test|sanitize|fuzz [SECONDS [TARGET...]]" >&2
    exit 2
    ;;
esac
