/**
 * Tabs that are links: each tab is a URL (`?tab=`), so a tab can be bookmarked, opened in
 * a new window, and reached with the keyboard like any link.
 */
import { Link } from 'react-router';

export interface TabLink {
  id: string;
  label: string;
  to: string;
}

export function Tabs({ tabs, current, label }: { tabs: TabLink[]; current: string; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      <ul>
        {tabs.map((tab) => (
          <li key={tab.id}>
            <Link to={tab.to} aria-current={tab.id === current ? 'page' : undefined} className={tab.id === current ? 'tab tab-current' : 'tab'}>
              {tab.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
