import { parseDeb822Sources, parseSourcesList, pickDebianMirrors } from '../../../src/lab/hosts/debian-mirrors.js';

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://src.example/debian
Suites: bookworm
`;

describe("the machine's Debian mirrors", () => {
  it('reads the main and security archives from deb822 sources, ignoring deb-src', () => {
    expect(pickDebianMirrors(parseDeb822Sources(DEB822), 'bookworm')).toEqual({
      debian: 'http://deb.debian.org/debian',
      security: 'http://deb.debian.org/debian-security',
    });
  });

  it('reads one-line sources.list entries, options and comments included', () => {
    const text =
      '# comment\ndeb [arch=amd64] http://mirror.example/debian/ bookworm main\ndeb http://mirror.example/debian-security bookworm-security main\n';
    expect(pickDebianMirrors(parseSourcesList(text), 'bookworm')).toEqual({
      debian: 'http://mirror.example/debian',
      security: 'http://mirror.example/debian-security',
    });
  });

  it('fails when no http source serves the suite, listing what it found', () => {
    expect(() => pickDebianMirrors(parseSourcesList('deb https://secure.example/debian bookworm main\n'), 'bookworm')).toThrow(
      /no http Debian mirror for suite "bookworm" in the apt sources; got https:\/\/secure.example\/debian \(bookworm\)/,
    );
  });
});
