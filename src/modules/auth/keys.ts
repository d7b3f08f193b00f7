import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/** A published RSA verification key (RFC 7517). */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: string;
  n: string;
  e: string;
}

export interface SigningKeys {
  privateKey: KeyObject;
  kid: string;
  /** Every public key that verifies tokens: the current one first, then retired ones. */
  jwks: { keys: PublicJwk[] };
}

/** Writes an RSA key pair in PEM if the private key is absent (`npm run keys`). */
export function ensureKeyPair(privatePath: string, publicPath: string): boolean {
  if (existsSync(privatePath)) {
    if (!existsSync(publicPath)) {
      const pub = createPublicKey(createPrivateKey(readFileSync(privatePath)));
      writeFileSync(publicPath, pub.export({ type: 'spki', format: 'pem' }));
    }
    return false;
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  mkdirSync(dirname(privatePath), { recursive: true });
  mkdirSync(dirname(publicPath), { recursive: true });
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return true;
}

async function toJwk(key: KeyObject): Promise<PublicJwk> {
  const jwk: JWK = await exportJWK(key);
  if (jwk.kty !== 'RSA' || jwk.n === undefined || jwk.e === undefined) {
    throw new Error('JWT keys must be RSA keys');
  }
  const kid = await calculateJwkThumbprint(jwk);
  return { kty: jwk.kty, kid, alg: 'RS256', use: 'sig', n: jwk.n, e: jwk.e };
}

export async function loadSigningKeys(
  privatePath: string,
  publicPath: string,
  retiredPublicPaths: string[] = [],
): Promise<SigningKeys> {
  const privateKey = createPrivateKey(readFileSync(privatePath));
  const current = await toJwk(createPublicKey(readFileSync(publicPath)));
  const derived = await toJwk(createPublicKey(privateKey));
  if (derived.kid !== current.kid) {
    throw new Error('JWT_PUBLIC_KEY_PATH does not match JWT_PRIVATE_KEY_PATH');
  }
  const retired = await Promise.all(
    retiredPublicPaths.map((p) => toJwk(createPublicKey(readFileSync(p)))),
  );
  return { privateKey, kid: current.kid, jwks: { keys: [current, ...retired] } };
}
