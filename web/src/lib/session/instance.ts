import { Session } from './session';

/** The page's one session (module singleton: the token must not outlive the page). */
export const session = new Session({ origin: window.location.origin });
