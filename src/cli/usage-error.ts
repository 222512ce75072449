/** A mistake on the command line or in the environment: one line of explanation, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
