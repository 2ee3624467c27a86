// The host's half of a framed transfer (see frame.ts): content arrives on stdin in frames, and is
// only accepted once its trailer says it is complete and the bytes on disk match its size and
// sha256. A connection that drops mid-way closes stdin: `cat` would have called that the end of
// the file and a prefix would have been committed; here it is "stopped before its end" and the
// caller removes what arrived.

/**
 * ss_head reads the first line of stdin, the frame header: `TOKEN WAS`, where TOKEN is a random
 * hex name part only the controller knows (temp names nobody can plant a link at in advance) and
 * WAS the sha256 the target had when the plan was made, or `-`. Sets ss_token and ss_was.
 *
 * ss_watch SECONDS starts a watchdog: when the content has not all arrived by then (a connection
 * cut without a FIN: the host would wait in `head` for hours, holding its temp file), it sends TERM
 * to the exec's process group, so `head` dies and the script's EXIT trap removes what it made.
 * ss_unwatch stops it. The watchdog holds no descriptor of the channel, which can close without it.
 *
 * ss_recv copies the framed content to descriptor 3: frames `LENGTH\n` + LENGTH bytes, then
 * `end SIZE SHA256\n`, or `abort\n` when the controller found the content wrong (a download that
 * failed its pinned checksum). Returns non-zero, saying why, unless all of it arrived intact.
 */
export const RECEIVE_LIB = `ss_watch() {
  ( trap 'kill $ss_s 2>/dev/null; exit 0' TERM; sleep "$1" & ss_s=$!; wait $ss_s && kill -TERM 0 ) </dev/null >/dev/null 2>&1 &
  ss_dog=$!
}
ss_unwatch() { [ -z "\${ss_dog:-}" ] || kill $ss_dog 2>/dev/null; ss_dog=; }
ss_head() {
  IFS=' ' read -r ss_token ss_was || { echo "shipshape: no content arrived (connection lost?)" >&2; return 1; }
  case $ss_token in ''|*[!0-9a-f]*) echo "shipshape: bad transfer header" >&2; return 1;; esac
}
ss_recv() {
  while IFS= read -r ss_h; do
    case $ss_h in
      end\\ *)
        ss_h=\${ss_h#end }
        ss_got=$(stat -L -c %s /dev/fd/3) || return 1
        if [ "$ss_got" != "\${ss_h%% *}" ]; then echo "shipshape: $ss_got bytes arrived of \${ss_h%% *}: refusing a truncated file" >&2; return 1; fi
        ss_got=$(sha256sum < /dev/fd/3) || return 1
        if [ "\${ss_got%% *}" != "\${ss_h#* }" ]; then echo "shipshape: the content arrived altered (sha256 mismatch): refusing it" >&2; return 1; fi
        return 0;;
      abort*) echo "shipshape: the controller stopped the transfer" >&2; return 1;;
      ''|*[!0-9]*) echo "shipshape: bad frame in the transfer" >&2; return 1;;
      *) head -c "$ss_h" >&3 || return 1;;
    esac
  done
  echo "shipshape: the content stopped before its end (connection lost?): refusing a truncated file" >&2
  return 1
}
`;
