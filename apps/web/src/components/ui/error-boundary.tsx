import { Component, type ReactNode } from 'react';

/** Keeps one broken page from blanking the whole app; resets when `resetKey` (the path) changes. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: Error | null; key: string }> {
  state = { error: null as Error | null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: { resetKey: string }, state: { error: Error | null; key: string }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  render() {
    if (this.state.error) {
      return (
        <div className="alert alert-error" role="alert">
          <strong>This page failed to render:</strong> {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}
