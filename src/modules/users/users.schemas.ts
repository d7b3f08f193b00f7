import { Type, type Static } from 'typebox';

export const RegisterBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 50, examples: ['alice'] }),
    email: Type.String({ format: 'email', maxLength: 100, examples: ['alice@example.com'] }),
    // S2: 8..128 characters, taken as typed (no trimming or composition rules).
    password: Type.String({ minLength: 8, maxLength: 128, examples: ['a long passphrase'] }),
    password_confirm: Type.String({ minLength: 8, maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

const dateTime = Type.String({ format: 'date-time' });

export const UserPublic = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    email: Type.String(),
    is_active: Type.Boolean(),
    is_superuser: Type.Boolean(),
    email_verified: Type.Boolean(),
    created_at: dateTime,
  },
  { title: 'User' },
);
export type UserPublic = Static<typeof UserPublic>;

export function toUserPublic(u: {
  id: number;
  username: string;
  email: string;
  isActive: boolean;
  isSuperuser: boolean;
  emailVerifiedAt: Date | null;
  createdAt: Date;
}): UserPublic {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    is_active: u.isActive,
    is_superuser: u.isSuperuser,
    email_verified: u.emailVerifiedAt !== null,
    created_at: u.createdAt.toISOString(),
  };
}
