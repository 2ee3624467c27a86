// A fact is a reading of host state: a key (what it is about), a POSIX shell script that prints
// it, and a parser. Facts for a whole play travel in one remote script (see gather.ts).

export interface Fact<T = unknown> {
  /** Identifies the reading across tasks: "file:/etc/ssh/sshd_config", "user:smp". */
  key: string;
  /** Shell text; its stdout and exit status go to parse(). */
  script: string;
  parse(stdout: string, code: number): T;
  /**
   * Read on this other inventory host instead of the task's own (transfer reads the source file's
   * checksum on the build host). Its value lives with that host's facts, predictions included.
   */
  host?: string;
  /**
   * The part of the value that says the host is as it was, for a saved plan's digest: without what
   * changes by itself as time passes (the age of apt's lists). Default: the whole value.
   */
  stable?(value: T): unknown;
}

export function defineFact<T>(key: string, script: string, parse: (stdout: string, code: number) => T): Fact<T> {
  return { key, script, parse };
}

/** The same fact, with the part of its value that time alone does not change (see Fact.stable). */
export function withStable<T>(fact: Fact<T>, stable: (value: T) => unknown): Fact<T> {
  return { ...fact, stable };
}

/** The same fact, read on another inventory host. */
export function onHost<T>(host: string, fact: Fact<T>): Fact<T> {
  return { ...fact, host };
}
