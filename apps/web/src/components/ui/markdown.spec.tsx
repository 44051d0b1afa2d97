import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Markdown } from './markdown';

describe('Markdown', () => {
  it('renders formatting, lists and code', () => {
    const { container } = render(<Markdown text={'**bold** and `code`\n\n- one\n- two'} />);
    expect(container.querySelector('strong')?.textContent).toBe('bold');
    expect(container.querySelector('code')?.textContent).toBe('code');
    expect(container.querySelectorAll('li')).toHaveLength(2);
  });

  it('drops scripts, event handlers and javascript: links from untrusted text', () => {
    const { container } = render(
      <Markdown
        text={'<script>alert(1)</script><img src=x onerror="alert(2)">\n\n[x](javascript:alert(3)) and [ok](https://example.com)'}
      />,
    );
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('img')?.getAttribute('onerror')).toBeNull();
    expect(container.querySelector('a[href^="javascript"]')).toBeNull();
    const link = container.querySelector('a[href="https://example.com"]');
    expect(link?.getAttribute('rel')).toBe('noopener noreferrer');
  });
});
