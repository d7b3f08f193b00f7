// npm run keys: writes an RSA key pair for JWT signing to the configured paths if absent.
import { loadConfig } from '../src/config.js';
import { ensureKeyPair } from '../src/modules/auth/keys.js';

const config = loadConfig();
const created = ensureKeyPair(config.jwt.privateKeyPath, config.jwt.publicKeyPath);
console.log(
  created
    ? `Wrote ${config.jwt.privateKeyPath} and ${config.jwt.publicKeyPath}`
    : `Keys already present at ${config.jwt.privateKeyPath}; left unchanged`,
);
