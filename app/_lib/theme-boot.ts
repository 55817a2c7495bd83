/**
 * The theme's boot script, inlined into <head> by the (server) layout: it applies the stored choice
 * before the first paint. Not a client module, so the layout gets the text itself. app/_lib/theme.ts
 * holds the React side.
 */
export const STORAGE_KEY = 'zeroloss-theme';
export const DARK_QUERY = '(prefers-color-scheme: dark)';

/** Runs in <head> before React: no flash of the wrong theme. Kept self-contained (it is inlined as text). */
export const THEME_BOOT_SCRIPT = `(function(){
  var key=${JSON.stringify(STORAGE_KEY)}, media=window.matchMedia(${JSON.stringify(DARK_QUERY)});
  function apply(){
    var choice; try { choice = localStorage.getItem(key); } catch (e) {}
    var theme = choice === 'light' || choice === 'dark' ? choice : (media.matches ? 'dark' : 'light');
    document.documentElement.dataset.theme = theme;
    document.documentElement.dataset.themeChoice = choice === 'light' || choice === 'dark' ? choice : 'system';
  }
  apply();
  media.addEventListener('change', apply);
  window.addEventListener('storage', function(e){ if (e.key === key) apply(); });
  window.__zeroloss_apply_theme = apply;
})();`;

