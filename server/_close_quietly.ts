// Closing what may already be closed: a socket the remote hung up, a listener closed twice.

/** Closes `resource` (if any), ignoring that it was already closed. */
export function closeQuietly(resource: { close(): void } | undefined): void {
  try {
    resource?.close();
  } catch {
    // Already closed.
  }
}
