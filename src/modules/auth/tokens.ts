import { createHash, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { DomainError } from '../../lib/errors.js';
import type { SigningKeys } from './keys.js';

export type TokenType = 'access' | 'refresh';

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
}

export interface TokenClaims extends JWTPayload {
  sub: string;
  type: TokenType;
  jti: string;
  exp: number;
  username?: string;
  email?: string;
  /** Access tokens (issue 12): the login (refresh family) and the user's counters at issue. */
  sid?: string;
  gen?: number;
  rev?: number;
}

/** The login an access token belongs to, and the user's revocation counters (ADR 0017). */
export interface AccessSession {
  id: string;
  generation: number;
  revision: number;
}

export interface AccessSubject {
  id: number;
  username: string;
  email: string;
}

/** SHA-256 of a token: what the database stores instead of the token (S8). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

/**
 * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) signed on the libuv thread pool.
 * An RSA-2048 signature costs about a millisecond of CPU; signing asynchronously keeps it
 * off the event loop, so logins and refreshes use both cores (P2, P4). Verification stays
 * with jose, which pins the algorithm list (S6).
 */
function signRs256(header: string, payload: object, key: KeyObject): Promise<string> {
  const input = `${header}.${b64url(JSON.stringify(payload))}`;
  return new Promise((resolve, reject) => {
    cryptoSign('sha256', Buffer.from(input), key, (err, signature) => {
      if (err) {
        reject(err);
      } else {
        resolve(`${input}.${signature.toString('base64url')}`);
      }
    });
  });
}

export class TokenService {
  private readonly keySet: ReturnType<typeof createLocalJWKSet>;

  private readonly header: string;

  constructor(
    private readonly keys: SigningKeys,
    readonly settings: TokenSettings,
  ) {
    this.keySet = createLocalJWKSet(keys.jwks);
    this.header = b64url(JSON.stringify({ alg: 'RS256', kid: keys.kid, typ: 'JWT' }));
  }

  get jwks() {
    return this.keys.jwks;
  }

  private sign(claims: Record<string, unknown>, sub: string, exp: number): Promise<string> {
    const payload = {
      ...claims,
      sub,
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      iss: this.settings.issuer,
      aud: this.settings.audience,
      exp,
    };
    return signRs256(this.header, payload, this.keys.privateKey);
  }

  signAccess(user: AccessSubject, session: AccessSession): Promise<string> {
    const exp = Math.floor(Date.now() / 1000) + this.settings.accessTokenTtl;
    return this.sign(
      {
        type: 'access',
        username: user.username,
        email: user.email,
        sid: session.id,
        gen: session.generation,
        rev: session.revision,
      },
      String(user.id),
      exp,
    );
  }

  /** A refresh token expires with its family: `familyExp` is the login's absolute expiry. */
  signRefresh(userId: number, familyExp: number): Promise<string> {
    return this.sign({ type: 'refresh' }, String(userId), familyExp);
  }

  newFamilyExpiry(): number {
    return Math.floor(Date.now() / 1000) + this.settings.refreshTokenTtl;
  }

  /**
   * Verifies signature (RS256 only, key chosen by `kid`), issuer, audience, exp and nbf, then
   * the token type. Any failure is "Invalid token error."; a wrong type has its own detail.
   */
  async verify(token: string, expected: TokenType): Promise<TokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet, {
        algorithms: ['RS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new DomainError('invalid_token', { bearer: 'expired' });
      }
      if (err instanceof joseErrors.JOSEError || err instanceof TypeError) {
        throw new DomainError('invalid_token');
      }
      throw err;
    }
    if (payload.type !== 'access' && payload.type !== 'refresh') {
      throw new DomainError('invalid_token');
    }
    if (payload.type !== expected) {
      throw new DomainError(
        expected === 'refresh' ? 'expected_refresh_token' : 'expected_access_token',
      );
    }
    if (typeof payload.sub !== 'string' || !/^\d{1,10}$/.test(payload.sub)) {
      throw new DomainError('invalid_token');
    }
    return payload as TokenClaims;
  }
}
