// Vite turns `import './style.css'` into a <link>; tsc only needs to know it is a module.
declare module '*.css';
