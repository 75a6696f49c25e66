import { randomBytes } from 'node:crypto';

/** A short random suffix for per-test database, vhost and user names. */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
}

/** A random password for a per-test user; never written anywhere but the server. */
export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}
