// @ts-check
// Runs before the first paint (a classic, blocking script in <head>): puts the remembered theme
// on <html> so a light-theme user never sees a dark flash. The user's choice wins, then the
// server's default as last seen; main.js keeps both keys up to date.
try {
  const theme =
    localStorage.getItem('datalineage.dashboard.theme') ??
    localStorage.getItem('datalineage.dashboard.serverTheme');
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
} catch {
  // storage disabled: the default theme it is
}
