#!/bin/sh
# Playwright's executablePath for a browser in a network namespace of its own
# (support/netns.ts): runs Debian's Chromium inside the namespace held by
# process CONSULTROOM_BROWSER_NETNS_PID. Playwright talks to Chromium over a
# pipe, so the DevTools protocol is not affected by the faults made there.
set -eu
: "${CONSULTROOM_BROWSER_NETNS_PID:?which namespace: the pid holding it}"
exec nsenter --net="/proc/$CONSULTROOM_BROWSER_NETNS_PID/ns/net" "${CHROMIUM_PATH:-/usr/bin/chromium}" "$@"
