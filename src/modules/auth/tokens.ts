import { createHash, randomUUID } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
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

export class TokenService {
  private readonly keySet: ReturnType<typeof createLocalJWKSet>;

  constructor(
    private readonly keys: SigningKeys,
    readonly settings: TokenSettings,
  ) {
    this.keySet = createLocalJWKSet(keys.jwks);
  }

  get jwks() {
    return this.keys.jwks;
  }

  private sign(claims: Record<string, unknown>, sub: string, exp: number): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.kid, typ: 'JWT' })
      .setSubject(sub)
      .setJti(randomUUID())
      .setIssuedAt()
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setExpirationTime(exp)
      .sign(this.keys.privateKey);
  }

  signAccess(user: AccessSubject): Promise<string> {
    const exp = Math.floor(Date.now() / 1000) + this.settings.accessTokenTtl;
    return this.sign(
      { type: 'access', username: user.username, email: user.email },
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
