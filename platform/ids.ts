import { createHash, randomBytes } from 'node:crypto';

/** Ids carry their kind (acct_, app_, ...) so a stray id in a log says what it is. */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Keys are 256 random bits: a fast hash is enough (no dictionary to attack), and lookups stay O(1). */
export const newSecret = (prefix: string): string => `${prefix}_${randomBytes(32).toString('base64url')}`;

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
