import { useSession, useSignOut } from '../api/session';

/** Who is signed in, and a way out; nothing when access control is off. */
export function SignOutButton() {
  const session = useSession();
  const signOut = useSignOut();
  if (!session.data?.authEnabled) return null;
  return (
    <div className="row session">
      <span className="muted small">{session.data.name ?? session.data.prefix}</span>
      <button type="button" className="btn btn-small" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
        Sign out
      </button>
    </div>
  );
}
