// The connection layer's public face: connect() and the types and errors callers handle.
export { connect } from './connect.ts';
export type { Connection, ConnectionStats, ConnectOptions, ConnectTarget, ExecOptions, ExecResult, PublicKeyId } from './types.ts';
export {
  AuthError,
  BecomeError,
  ChannelError,
  ConnectionError,
  ExecTimeoutError,
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  UnreachableError,
} from './errors.ts';
export { fingerprint } from './fingerprint.ts';
