import { useState } from 'preact/hooks';

/** Asks for the service's token (kept for this browser session only, never put in a URL). */
export function LoginPage(props: { wrong: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <main class="narrow login">
      <h1>chime</h1>
      <form
        method="post"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() !== '') props.onToken(token.trim());
        }}
      >
        <label for="token">Token</label>
        <p class="sub" id="token-help">
          This service needs its token (or its read-only token). It is kept for this browser session
          only.
        </p>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          aria-describedby="token-help token-error"
          aria-invalid={props.wrong}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        {props.wrong && (
          <p class="field-error" id="token-error" role="alert">
            That token is wrong.
          </p>
        )}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
